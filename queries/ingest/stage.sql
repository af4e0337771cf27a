-- Temporary tables the ingest appends typed rows to before deriving; column order is the
-- order the Rust appender writes.
CREATE OR REPLACE TEMP TABLE stage_users (
    line BIGINT, email VARCHAR, email_key VARCHAR, name VARCHAR, scim BOOLEAN, license VARCHAR,
    license_activated BOOLEAN, license_activated_at TIMESTAMP,
    app_setup_completed BOOLEAN, app_setup_completed_at TIMESTAMP,
    data_added BOOLEAN, data_added_at TIMESTAMP,
    user_last_used TIMESTAMP, reminders_sent INTEGER, status_given VARCHAR
);
CREATE OR REPLACE TEMP TABLE stage_devices (
    line BIGINT, email VARCHAR, email_key VARCHAR, device_name VARCHAR, platform VARCHAR,
    enpass_version VARCHAR, last_used TIMESTAMP, hub_authenticated BOOLEAN
);
