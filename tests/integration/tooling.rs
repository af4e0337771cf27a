//! Ergonomics and packaging (issue #15): shell completions, man pages, every command's worked
//! example, `--version`, display widths of wide characters, `--color`, and the binary copied
//! alone into an empty folder and run with a cleared environment.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use clap::{CommandFactory, Parser};

use crate::common::{read, Env};

/// Every command path below the root (`["remind", "send"]`…), clap's `help` left out.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" || sub.is_hide_set() {
                continue;
            }
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&rollcall::Cli::command(), &[], &mut out);
    out
}

fn stdout_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

#[test]
fn completion_scripts_for_every_shell() {
    let env = Env::new();
    let top: Vec<String> = command_paths()
        .into_iter()
        .filter(|p| p.len() == 1)
        .map(|p| p[0].clone())
        .collect();
    assert!(top.contains(&"ingest".to_string()) && top.contains(&"man".to_string()));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = env.ok(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
        for name in &top {
            assert!(script.contains(name.as_str()), "{shell} lacks {name}");
        }
        // Flags too (fish spells them `-l status`).
        assert!(
            script.contains("status") && script.contains("color"),
            "{shell}"
        );
    }
    // bash's script parses (`bash -n`), and sourcing it registers the completion.
    let script = env.write("rollcall.bash", env.ok(&["completions", "bash"]));
    let check = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p rollcall",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(
        stdout_of(&loaded).contains("rollcall"),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    // An unknown shell is a usage error naming the choices.
    let err = env.fails(&["completions", "tcsh"], 2);
    assert!(err.contains("bash") && err.contains("zsh"), "{err}");
}

#[test]
fn a_man_page_for_every_command() {
    let env = Env::new();
    let dir = env.path("man/man1");
    env.ok(&["man", "--out", dir.to_str().unwrap()]);
    let written: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut expected: BTreeSet<String> = command_paths()
        .iter()
        .map(|p| format!("rollcall-{}.1", p.join("-")))
        .collect();
    expected.insert("rollcall.1".into());
    assert_eq!(written, expected);
    for name in [
        "rollcall-ingest.1",
        "rollcall-remind-send.1",
        "rollcall-licenses-todo.1",
    ] {
        assert!(written.contains(name), "{name}");
    }
    for name in &written {
        let page = read(&dir.join(name));
        // clap_mangen's preamble defines \*(Aq (an apostrophe) for groff and other troffs; the
        // first macro after it is the title.
        let first = page
            .lines()
            .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
            .unwrap();
        let title = name.trim_end_matches(".1");
        assert!(
            first.starts_with(&format!(".TH {title} 1 ")),
            "{name}: {first}"
        );
        assert!(
            page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"),
            "{name}"
        );
        assert!(
            page.contains("\n.SH EXAMPLE\n  rollcall "),
            "{name} has no example"
        );
        assert!(!page.contains(".SH EXTRA"), "{name}");
        // Plain troff reads it: UTF-8 is escaped (\[u2026] for …).
        assert!(page.is_ascii(), "{name}");
    }
    assert!(read(&dir.join("rollcall-users.1")).contains("\\-\\-status"));
    // Without --out: rollcall.1 on standard output, the same page.
    assert_eq!(env.ok(&["man"]), read(&dir.join("rollcall.1")));
}

/// A shell command line split into words: double-quoted words kept whole, nothing expanded.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

#[test]
fn every_help_ends_with_an_example_that_parses() {
    let env = Env::new();
    let mut paths = command_paths();
    paths.insert(0, Vec::new());
    assert!(paths.len() > 25, "{paths:?}");
    for path in &paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = env.ok(&args);
        let (_, example) = help
            .rsplit_once("\nExample:\n")
            .unwrap_or_else(|| panic!("rollcall {path:?} --help has no Example section:\n{help}"));
        let lines: Vec<&str> = example.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(!lines.is_empty(), "{path:?}");
        for line in lines {
            assert!(line.starts_with("  rollcall "), "{path:?}: {line:?}");
            // Short enough that an 80-column terminal never wraps it.
            assert!(
                line.len() <= 80,
                "{path:?}: {line:?} is {} long",
                line.len()
            );
            // Each command of the line (`a && b`, up to a redirection) parses, and names this
            // command (the root's may name any).
            for part in line.split("&&") {
                let part = part.split(" > ").next().unwrap();
                let argv = words(part);
                if let Err(e) = rollcall::Cli::try_parse_from(&argv) {
                    panic!("{path:?}: example {part:?} does not parse: {e}");
                }
                assert!(
                    argv[1..].starts_with(path),
                    "{path:?}: example {part:?} is of another command"
                );
            }
        }
    }
}

#[test]
fn version_names_the_tool_the_commit_and_duckdb() {
    let env = Env::with_one_user();
    let long = env.ok(&["--version"]);
    assert_eq!(env.ok(&["-V"]), long);
    let line = long.strip_suffix('\n').expect("one line");
    let rest = line
        .strip_prefix(&format!("rollcall {} (git ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line}"));
    let (git, duckdb) = rest
        .split_once(", DuckDB ")
        .unwrap_or_else(|| panic!("{line}"));
    let hash = git.strip_suffix("-dirty").unwrap_or(git);
    assert!(
        hash == "unknown" || (hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
    let duckdb = duckdb.strip_suffix(')').unwrap_or_else(|| panic!("{line}"));
    let numbers: Vec<&str> = duckdb.trim_start_matches('v').split('.').collect();
    assert!(
        duckdb.starts_with('v')
            && numbers.len() == 3
            && numbers.iter().all(|n| n.parse::<u32>().is_ok()),
        "{line}"
    );
    // The very DuckDB that answers queries.
    let asked = env.ok(&["query", "SELECT version() AS v", "--format", "csv"]);
    assert_eq!(asked, format!("v\n{duckdb}\n"));
}

/// Display columns, written out for this test apart from rollcall's: two for the CJK ideographs
/// and the emoji used here, one for the rest.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x4E00..=0x9FFF | 0x1F300..=0x1FAFF => 2,
            _ => 1,
        })
        .sum()
}

/// The display column at which the email (the second column) starts on each line.
fn email_columns(table: &str) -> Vec<usize> {
    table
        .lines()
        .take_while(|l| !l.contains(" users · "))
        .filter(|l| !l.starts_with('─'))
        .map(|l| columns(&l[..l.rfind("  ").expect("two columns") + 2]))
        .collect()
}

#[test]
fn tables_align_cjk_and_emoji_by_display_width() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\n李小龍,li@example.com,Assigned\nDee 🎉,dee@example.com,Assigned\n\
         Zoë Ångström,zoe@example.com,Assigned\n王菲 🚀,wang@example.com,Assigned\n",
        None,
        "2026-11-27T00:00:00Z",
    );
    let args = ["users", "--columns", "name,email", "--sort", "email"];
    let table = env.ok(&args);
    assert!(table.contains("李小龍") && table.contains("🚀"), "{table}");
    let at = email_columns(&table);
    assert_eq!(at.len(), 5, "{table}");
    // The widest name is "Zoë Ångström" (12 columns; "王菲 🚀" is 4 + 1 + 2 = 7): 12, then two
    // spaces.
    assert!(at.iter().all(|&c| c == 14), "{at:?}\n{table}");

    // Fitted to a narrow terminal: every line within it, still aligned, wide names cut whole.
    let narrow = stdout_of(&env.cmd().args(args).env("COLUMNS", "24").output().unwrap());
    for line in narrow.lines().take_while(|l| !l.contains(" users · ")) {
        assert!(columns(line) <= 24, "{line:?} is {} wide", columns(line));
    }
    let at = email_columns(&narrow);
    assert!(at.iter().all(|&c| c == at[0]), "{at:?}\n{narrow}");
}

#[test]
fn tables_fit_a_real_terminal() {
    let env = Env::new();
    env.ingest(
        "Name,Email,License\n李小龍李小龍李小龍李小龍,li.xiaolong.with.a.long.address@example.com,Assigned\n",
        None,
        "2026-11-27T00:00:00Z",
    );
    // util-linux's `script` gives rollcall a pseudo-terminal, here 40 columns wide.
    let out = Command::new("script")
        .args([
            "-qec",
            "stty rows 24 cols 40 && \"$ROLLCALL_BIN\" users",
            "/dev/null",
        ])
        .env("ROLLCALL_BIN", env!("CARGO_BIN_EXE_rollcall"))
        .env("ROLLCALL_DB", env.db())
        .env_remove("COLUMNS")
        .output()
        .expect("util-linux script");
    let text = stdout_of(&out).replace('\r', "");
    assert!(text.contains('…'), "{text}");
    // The table's lines; the count line after it is prose, which the terminal wraps.
    for line in text.lines().take_while(|l| !l.contains(" users · ")) {
        assert!(columns(line) <= 40, "{line:?} is {} wide", columns(line));
    }
}

/// Whether any ANSI escape sequence is in `text`.
fn coloured(text: &str) -> bool {
    text.contains('\x1b')
}

#[test]
fn color_follows_the_flag_no_color_and_the_terminal() {
    let env = Env::with_one_user();
    let rules = env.write(
        "rules.toml",
        "[[rule]]\nname = \"none-unlicensed\"\ndescription = \"held\"\nwhere = \"license = 'unassigned'\"\nmax_count = 0\n\n\
         [[rule]]\nname = \"nobody\"\ndescription = \"warned\"\nwhere = \"true\"\nmax_count = 0\nseverity = \"warning\"\n",
    );
    let rules = rules.to_str().unwrap();
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--rules", rules];
        args.extend_from_slice(extra);
        env.ok(&args)
    };
    // Through a pipe (not a terminal), auto and never are plain.
    assert!(!coloured(&check(&[])));
    assert!(!coloured(&check(&["--color", "never"])));
    let always = check(&["--color", "always"]);
    assert!(
        always.contains("\x1b[32mPASS\x1b[0m  none-unlicensed"),
        "{always:?}"
    );
    assert!(always.contains("\x1b[33mWARN\x1b[0m  nobody"), "{always:?}");
    // always overrides NO_COLOR; a file written with -o never gets colour.
    let out = env
        .cmd()
        .args(["check", "--rules", rules, "--color", "always"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(coloured(&stdout_of(&out)));
    check(&["--color", "always", "-o", "check.txt"]);
    let file = read(&env.path("check.txt"));
    assert!(
        file.contains("PASS  none-unlicensed") && !coloured(&file),
        "{file:?}"
    );

    env.ok(&["export", "-o", "users.csv"]);
    assert!(!coloured(&env.ok(&[
        "verify",
        "users.csv",
        "--color",
        "never"
    ])));
    let always = env.ok(&["verify", "users.csv", "--color", "always"]);
    assert!(always.contains("\x1b[32mok"), "{always:?}");

    // On a terminal, auto colours unless NO_COLOR is set; never stays plain.
    let on_terminal = |color: &str, no_color: Option<&str>| {
        let mut c = Command::new("script");
        c.args([
            "-qec",
            &format!("\"$ROLLCALL_BIN\" verify users.csv --color {color}"),
            "/dev/null",
        ])
        .current_dir(env.dir.path())
        .env("ROLLCALL_BIN", env!("CARGO_BIN_EXE_rollcall"))
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        stdout_of(&c.output().expect("util-linux script"))
    };
    assert!(coloured(&on_terminal("auto", None)));
    assert!(!coloured(&on_terminal("auto", Some("1"))));
    assert!(
        coloured(&on_terminal("auto", Some(""))),
        "an empty NO_COLOR is unset"
    );
    assert!(!coloured(&on_terminal("never", None)));
}

#[test]
fn no_progress_output_off_a_terminal() {
    let env = Env::new();
    let dir = env.sample_files(3000, 3);
    // Not --quiet: only the absence of a terminal keeps the bars away.
    let out = env
        .cmd()
        .args(["ingest", "--users"])
        .arg(dir.join("users.csv"))
        .arg("--devices")
        .arg(dir.join("devices.csv"))
        .output()
        .unwrap();
    stdout_of(&out);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\r') && !coloured(&stderr), "{stderr:?}");
}

/// Runs the copied binary in `dir` with nothing but PATH and HOME in its environment.
fn bare(bin: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rollcall {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_binary_alone_in_an_empty_folder_with_a_cleared_environment() {
    // Nothing from the source tree: queries/ and report-templates/ are embedded, DuckDB linked in.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = dir.join("rollcall");
    std::fs::copy(env!("CARGO_BIN_EXE_rollcall"), &bin).unwrap();
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);

    bare(
        &bin,
        dir,
        &["sample", "--users", "250", "--seed", "4", "--out", "org"],
    );
    let ingested = bare(
        &bin,
        dir,
        &[
            "ingest",
            "--users",
            "org/users.csv",
            "--devices",
            "org/devices.csv",
            "--as-of",
            "2026-11-26T12:00:00Z",
        ],
    );
    assert!(
        ingested.contains(": 250 users,") && ingested.contains("0 rejected"),
        "{ingested}"
    );
    assert!(
        dir.join("rollcall.duckdb").is_file(),
        "the default database, in the folder"
    );

    let summary: serde_json::Value =
        serde_json::from_str(&bare(&bin, dir, &["summary", "--format", "json"])).unwrap();
    assert_eq!(summary["total"], 250);
    assert!(bare(&bin, dir, &["summary"]).contains("Total Users"));

    bare(&bin, dir, &["export", "-o", "all.csv"]);
    assert_eq!(read(&dir.join("all.csv")).lines().count(), 251);
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&dir.join("all.csv.manifest.json"))).unwrap();
    assert_eq!(manifest["rows"], 250, "{manifest:#}");

    bare(&bin, dir, &["report", "--out", "report"]);
    for file in ["index.html", "users.csv", "manifest.json"] {
        assert!(dir.join("report").join(file).is_file(), "{file}");
    }
    assert_eq!(read(&dir.join("report/users.csv")).lines().count(), 251);
    bare(&bin, dir, &["verify", "report"]);
}
