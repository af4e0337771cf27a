-- Devices on an Enpass version older than the newest one seen in the snapshot.
WITH versions AS (
    SELECT DISTINCT enpass_version AS v,
           list_transform(string_split(regexp_replace(enpass_version, '[^0-9.]', '', 'g'), '.'),
                          lambda x: coalesce(TRY_CAST(x AS INTEGER), 0)) AS parts
    FROM devices WHERE enpass_version IS NOT NULL AND enpass_version <> ''
),
newest AS (SELECT v FROM versions ORDER BY parts DESC LIMIT 1)
SELECT d.user_name, d.email, d.device_name, d.platform, d.enpass_version,
       (SELECT v FROM newest) AS newest_version, d.last_used
FROM devices d JOIN versions ON versions.v = d.enpass_version
WHERE versions.parts < (SELECT parts FROM versions WHERE v = (SELECT v FROM newest))
ORDER BY d.email, d.device_name
