//! The configuration file, `rollcall.toml`, between `main` and `cli`: where it is found, what
//! its keys are (every command's long flags, in snake_case), and how its values reach the
//! command line. Nothing below `cmd/` knows a file was read.
//!
//! The values become clap *defaults* of the flags they name, for the command being run, before
//! clap parses the real command line. So clap itself keeps the precedence: a flag, then its
//! environment variable, then the file, then the built-in default; and a file's value goes
//! through the flag's own value parser, so it is checked exactly as the flag would be. Parsing
//! takes two passes: a lenient one to learn the command (and `--config`/`--no-config`), then
//! the real one with the file's defaults in place.
//!
//! The whole file is checked on every run, not only the keys of the command run: a mistake in
//! `[serve]` shows up on the next `rollcall users`, as one line naming the file, line and key
//! (exit 2), instead of waiting for the day `serve` is restarted.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches, ValueHint};
use toml::de::{DeTable, DeValue};

use crate::cli::Cli;
use crate::error::Failure;

/// The file's name, in the current folder and in `$XDG_CONFIG_HOME/rollcall/`.
pub(crate) const FILE_NAME: &str = "rollcall.toml";
/// The environment variable naming the file (as `--config`).
pub(crate) const CONFIG_VAR: &str = "ROLLCALL_CONFIG";

/// Flags that are not settings: the ones that choose the file, and clap's own.
const NOT_SETTINGS: &[&str] = &["config", "no_config", "help", "version"];

/// How the file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Flag,
    Env,
    CurrentFolder,
    UserConfig,
}

impl Found {
    pub(crate) fn words(self) -> &'static str {
        match self {
            Found::Flag => "given with --config",
            Found::Env => "given with ROLLCALL_CONFIG",
            Found::CurrentFolder => "found in the current folder",
            Found::UserConfig => "found in the user's config folder ($XDG_CONFIG_HOME/rollcall)",
        }
    }
}

/// One `key = value` of the file.
#[derive(Debug, Clone)]
struct Entry {
    /// The command table it is in, as clap names the commands (empty: the top level).
    table: Vec<String>,
    key: String,
    line: usize,
    /// The value's scalars as text (an array gives several).
    values: Vec<String>,
}

/// A configuration file that parsed and whose every key and value checked out.
#[derive(Debug, Clone)]
pub(crate) struct ConfigFile {
    /// Absolute.
    pub(crate) path: PathBuf,
    pub(crate) found: Found,
    entries: Vec<Entry>,
}

impl ConfigFile {
    fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("/"))
    }

    /// The entry that sets `arg` for the command at `path`: the deepest command table on the
    /// path that has the key, else the top level's, if `arg` accepts its value (a top-level key
    /// applies to the commands whose flag of that name takes it).
    fn entry_for(&self, path: &[String], arg: &Arg) -> Option<&Entry> {
        let key = key_of(arg)?;
        (0..=path.len())
            .rev()
            .find_map(|depth| {
                self.entries
                    .iter()
                    .find(|e| e.key == key && e.table.as_slice() == &path[..depth])
            })
            .filter(|e| !e.table.is_empty() || check_value(arg, &e.values).is_ok())
    }

    /// An entry's values for `arg`: paths relative to the file's folder made absolute.
    fn values_for(&self, arg: &Arg, e: &Entry) -> Vec<String> {
        if !is_path(arg) {
            return e.values.clone();
        }
        e.values
            .iter()
            .map(|v| {
                let p = Path::new(v);
                // A bare program name (`sendmail = "msmtp"`) is looked up on PATH, not here.
                let bare_program =
                    is_program(arg) && p.components().count() == 1 && !v.starts_with('.');
                if p.is_absolute() || bare_program {
                    v.clone()
                } else {
                    self.folder().join(p).display().to_string()
                }
            })
            .collect()
    }

    fn at(&self, e: &Entry) -> String {
        format!("{}:{}", self.path.display(), e.line)
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Flag,
    Env(String),
    /// `FILE:LINE`.
    File(String),
    Default,
    /// No value (an optional flag not given).
    Unset,
}

impl Source {
    pub(crate) fn words(&self) -> String {
        match self {
            Source::Flag => "flag".into(),
            Source::Env(var) => format!("env {var}"),
            Source::File(at) => at.clone(),
            Source::Default => "default".into(),
            Source::Unset => "unset".into(),
        }
    }
}

/// One setting in force: its key, flag, value(s) and source.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    pub(crate) key: String,
    pub(crate) flag: String,
    pub(crate) values: Vec<String>,
    pub(crate) source: Source,
}

/// What the configuration did for this run: the file (if any), and the source of every setting
/// of the command run (its flags and the global ones).
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) file: Option<ConfigFile>,
    /// `rollcall doctor` runs even when the file is wrong, to say so among its other checks.
    pub(crate) error: Option<String>,
    /// `--no-config` was given.
    pub(crate) disabled: bool,
    /// By clap's argument id.
    pub(crate) run: BTreeMap<String, Setting>,
}

impl Settings {
    /// The source of one of the run's settings (by clap's id: `window_days`, `seats`).
    pub(crate) fn source(&self, id: &str) -> Source {
        self.run.get(id).map_or(Source::Unset, |s| s.source.clone())
    }

    /// The global settings (`--db`, `--queries`…) as the command at `path` sees them: this run's
    /// flags, else as [`for_command`](Self::for_command) finds them (a command's table may set
    /// `db` for that command alone).
    pub(crate) fn globals_for(&self, path: &[String]) -> Result<Vec<Setting>> {
        let mut root = Cli::command();
        root.build();
        find(&root, path).ok_or_else(|| {
            Failure::Usage(format!(
                "rollcall config {}: no such command",
                path.join(" ")
            ))
        })?;
        Ok(root
            .get_arguments()
            .filter(|a| is_setting(a))
            .map(|arg| match self.run.get(arg.get_id().as_str()) {
                Some(s) if s.source == Source::Flag => s.clone(),
                _ => self.unflagged(path, arg),
            })
            .collect())
    }

    /// Every setting of the command at `path` (e.g. `["remind", "send"]`; empty: the global
    /// ones) as it would be in force for that command, run with no flags: its environment
    /// variable, then the file, then the default.
    pub(crate) fn for_command(&self, path: &[String]) -> Result<Vec<Setting>> {
        let mut root = Cli::command();
        root.build();
        let cmd = find(&root, path).ok_or_else(|| {
            Failure::Usage(format!(
                "rollcall config {}: no such command",
                path.join(" ")
            ))
        })?;
        let globals = path.is_empty();
        Ok(cmd
            .get_arguments()
            .filter(|a| is_setting(a) && (globals || !a.is_global_set()))
            .map(|arg| self.unflagged(path, arg))
            .collect())
    }

    /// The setting `arg` of the command at `path` would have with no flag given.
    fn unflagged(&self, path: &[String], arg: &Arg) -> Setting {
        let env = arg
            .get_env()
            .and_then(|var| Some((var, std::env::var_os(var).filter(|v| !v.is_empty())?)));
        let (values, source) = if let Some((var, value)) = env {
            (
                vec![value.to_string_lossy().into_owned()],
                Source::Env(var.to_string_lossy().into_owned()),
            )
        } else if let Some((file, e)) = self
            .file
            .as_ref()
            .and_then(|f| Some((f, f.entry_for(path, arg)?)))
        {
            (file.values_for(arg, e), Source::File(file.at(e)))
        } else {
            default_of(arg)
        };
        Setting {
            key: key_of(arg).unwrap_or_default(),
            flag: flag_of(arg),
            values,
            source,
        }
    }
}

/// Parses the command line with the configuration file's values as defaults; on a wrong flag,
/// `--help` or `--version`, prints clap's text and exits as `Cli::parse` does; on a wrong file,
/// prints its one line and exits 2.
pub fn parse_args() -> Cli {
    match parse_from(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(Parsed::Clap(e)) => e.exit(),
        Err(Parsed::Config(e)) => {
            crate::util::stderr_line(&format!("rollcall: {e:#}"));
            std::process::exit(crate::error::exit_code(&e));
        }
    }
}

enum Parsed {
    Clap(clap::Error),
    Config(anyhow::Error),
}

fn parse_from(args: Vec<OsString>) -> Result<Cli, Parsed> {
    let first = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&args)
        .ok();
    let path = match &first {
        Some(m) => path_of(m),
        None => scan_path(&args),
    };
    let mut settings = Settings {
        disabled: match &first {
            Some(m) => m.get_flag("no_config"),
            None => scan_config_flags(&args).0,
        },
        ..Settings::default()
    };
    let file = match locate(first.as_ref(), &args) {
        Ok(located) => located
            .map(|(p, found)| load(&p, found))
            .transpose()
            .map_err(Parsed::Config),
        Err(e) => Err(Parsed::Config(e)),
    };
    settings.file = match file {
        Ok(file) => file,
        // Doctor reports a wrong file among its checks rather than not running.
        Err(Parsed::Config(e)) if path.first().is_some_and(|c| c == "doctor") => {
            settings.error = Some(format!("{e:#}"));
            None
        }
        Err(e) => return Err(e),
    };

    let mut root = Cli::command();
    root.build();
    let mut cmd = Cli::command();
    let mut from_file: BTreeMap<String, Source> = BTreeMap::new();
    if let Some(file) = &settings.file {
        for (depth, level) in levels(&root, &path).into_iter().enumerate() {
            for arg in level.get_arguments().filter(|a| is_setting(a)) {
                // A global flag is set once, at the top, from the deepest table that has it.
                let at: &[String] = if arg.is_global_set() {
                    if depth > 0 {
                        continue;
                    }
                    &path
                } else {
                    &path[..depth]
                };
                let Some(e) = file.entry_for(at, arg) else {
                    continue;
                };
                let values = file.values_for(arg, e);
                let id = arg.get_id().as_str().to_string();
                from_file.insert(id.clone(), Source::File(file.at(e)));
                let level_path = if arg.is_global_set() { &[][..] } else { at };
                cmd = with_default(cmd, level_path, id, values);
            }
        }
    }
    let matches = cmd.try_get_matches_from(&args).map_err(Parsed::Clap)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(Parsed::Clap)?;
    settings.run = run_settings(&root, &path, &matches, &from_file);
    cli.settings = settings;
    Ok(cli)
}

/// Sets `values` as the default of flag `id` of the command at `path` (below `cmd`).
fn with_default(cmd: Command, path: &[String], id: String, values: Vec<String>) -> Command {
    match path.split_first() {
        None => cmd.mut_arg(id, |a| {
            // clap (without its `string` feature) keeps defaults as `&'static str`: the few
            // values of one run's file live until it exits anyway.
            let values: Vec<&'static str> = values
                .into_iter()
                .map(|v| &*Box::leak(v.into_boxed_str()))
                .collect();
            a.required(false).default_values(values)
        }),
        Some((first, rest)) => {
            let rest = rest.to_vec();
            cmd.mut_subcommand(first, move |c| with_default(c, &rest, id, values))
        }
    }
}

/// The sources of the run's settings, from clap's record of each value.
fn run_settings(
    root: &Command,
    path: &[String],
    matches: &ArgMatches,
    from_file: &BTreeMap<String, Source>,
) -> BTreeMap<String, Setting> {
    let mut out = BTreeMap::new();
    let mut m = Some(matches);
    for level in levels(root, path) {
        let Some(here) = m else { break };
        for arg in level.get_arguments().filter(|a| is_setting(a)) {
            let id = arg.get_id().as_str();
            let values: Vec<String> = here
                .get_raw(id)
                .map(|r| r.map(|v| v.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            let source = match here.value_source(id) {
                Some(ValueSource::CommandLine) => Source::Flag,
                Some(ValueSource::EnvVariable) => Source::Env(
                    arg.get_env()
                        .map(|v| v.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
                Some(ValueSource::DefaultValue) => {
                    from_file.get(id).cloned().unwrap_or(Source::Default)
                }
                _ => Source::Unset,
            };
            out.insert(
                id.to_string(),
                Setting {
                    key: key_of(arg).unwrap_or_default(),
                    flag: flag_of(arg),
                    values,
                    source,
                },
            );
        }
        m = here.subcommand().map(|(_, sub)| sub);
    }
    out
}

/// The root and each command on `path` below it (built, so global flags are in each).
fn levels<'a>(root: &'a Command, path: &[String]) -> Vec<&'a Command> {
    let mut out = vec![root];
    let mut cmd = root;
    for name in path {
        match cmd.find_subcommand(name) {
            Some(sub) => {
                out.push(sub);
                cmd = sub;
            }
            None => break,
        }
    }
    out
}

fn find<'a>(root: &'a Command, path: &[String]) -> Option<&'a Command> {
    let mut cmd = root;
    for name in path {
        cmd = cmd.find_subcommand(name)?;
    }
    Some(cmd)
}

/// The command path of parsed matches (`["remind", "send"]`).
fn path_of(m: &ArgMatches) -> Vec<String> {
    let mut out = Vec::new();
    let mut here = m.subcommand();
    while let Some((name, sub)) = here {
        out.push(name.to_string());
        here = sub.subcommand();
    }
    out
}

/// The command path when even the lenient parse failed (`--help`, `--version`): the words that
/// name commands, in order. Only for the defaults `--help` shows; the real parse decides.
fn scan_path(args: &[OsString]) -> Vec<String> {
    let mut root = Cli::command();
    root.build();
    let mut out = Vec::new();
    let mut cmd = &root;
    for a in args.iter().skip(1) {
        let Some(a) = a.to_str() else { continue };
        if let Some(sub) = cmd.find_subcommand(a) {
            out.push(sub.get_name().to_string());
            cmd = sub;
        }
    }
    out
}

/// The file in force: `--no-config` none; `--config FILE` or `ROLLCALL_CONFIG` that file (it
/// must exist); else `./rollcall.toml`, else `$XDG_CONFIG_HOME/rollcall/rollcall.toml`
/// (`~/.config/…` when XDG_CONFIG_HOME is unset).
fn locate(first: Option<&ArgMatches>, args: &[OsString]) -> Result<Option<(PathBuf, Found)>> {
    let (no_config, given) = match first {
        Some(m) => (
            m.get_flag("no_config"),
            m.get_one::<PathBuf>("config").map(|p| {
                let found = match m.value_source("config") {
                    Some(ValueSource::EnvVariable) => Found::Env,
                    _ => Found::Flag,
                };
                (p.clone(), found)
            }),
        ),
        None => scan_config_flags(args),
    };
    if no_config {
        return Ok(None);
    }
    if let Some((p, found)) = given {
        if !p.is_file() {
            let how = if found == Found::Env {
                CONFIG_VAR
            } else {
                "--config"
            };
            return Err(Failure::Usage(format!("{how} {}: no such file", p.display())).into());
        }
        return Ok(Some((absolute(&p), found)));
    }
    let here = PathBuf::from(FILE_NAME);
    if here.is_file() {
        return Ok(Some((absolute(&here), Found::CurrentFolder)));
    }
    Ok(user_config_path()
        .filter(|p| p.is_file())
        .map(|p| (p, Found::UserConfig)))
}

/// `$XDG_CONFIG_HOME/rollcall/rollcall.toml`, or `~/.config/rollcall/rollcall.toml` when
/// XDG_CONFIG_HOME is unset (or not absolute, which the XDG specification says to ignore).
pub(crate) fn user_config_path() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|b| b.join("rollcall").join(FILE_NAME))
}

/// `--no-config` and `--config FILE` read from the raw arguments, when the lenient parse gave up.
fn scan_config_flags(args: &[OsString]) -> (bool, Option<(PathBuf, Found)>) {
    let mut no_config = false;
    let mut given = None;
    let mut it = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(a) = it.next() {
        if a == "--no-config" {
            no_config = true;
        } else if a == "--config" {
            given = it.next().map(|p| (PathBuf::from(p), Found::Flag));
        } else if let Some(p) = a.strip_prefix("--config=") {
            given = Some((PathBuf::from(p), Found::Flag));
        }
    }
    if given.is_none() {
        given = std::env::var_os(CONFIG_VAR)
            .filter(|v| !v.is_empty())
            .map(|p| (PathBuf::from(p), Found::Env));
    }
    (no_config, given)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Reads and checks a configuration file: TOML syntax, then every key (a flag of some command,
/// or of the table's command) and every value (through that flag's value parser).
fn load(path: &Path, found: Found) -> Result<ConfigFile> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("{shown}: cannot read the config file: {e}")))?;
    let table = DeTable::parse(&text).map_err(|e| {
        let at = e.span().map_or(String::new(), |s| {
            let (line, col) = position(&text, s.start);
            format!(":{line}:{col}")
        });
        Failure::Usage(format!(
            "{shown}{at}: not valid TOML: {}",
            e.message().trim().replace('\n', " ")
        ))
    })?;
    let mut root = Cli::command();
    root.build();
    let mut entries = Vec::new();
    walk(&root, &[], table.get_ref(), &text, &shown, &mut entries)
        .map_err(|e| anyhow::Error::from(Failure::Usage(e)))?;
    Ok(ConfigFile {
        path: path.to_path_buf(),
        found,
        entries,
    })
}

/// Checks one table's keys (`cmd` at `path`; the top level when `path` is empty), in the order
/// they appear, so the first mistake in the file is the one named.
fn walk(
    cmd: &Command,
    path: &[String],
    table: &DeTable<'_>,
    text: &str,
    file: &str,
    out: &mut Vec<Entry>,
) -> Result<(), String> {
    let mut items: Vec<_> = table.iter().collect();
    items.sort_by_key(|(k, _)| k.span().start);
    for (k, v) in items {
        let key: &str = k.get_ref();
        let line = position(text, k.span().start).0;
        let at = format!("{file}:{line}");
        if let DeValue::Table(sub) = v.get_ref() {
            let Some(c) = cmd
                .get_subcommands()
                .find(|c| snake(c.get_name()) == snake(key))
            else {
                let whose = if path.is_empty() {
                    String::new()
                } else {
                    format!(" of `rollcall {}`", path.join(" "))
                };
                return Err(format!(
                    "{at}: [{key}]: no such command{whose} (a table is named for a command, e.g. [serve])"
                ));
            };
            let mut p = path.to_vec();
            p.push(c.get_name().to_string());
            walk(c, &p, sub, text, file, out)?;
            continue;
        }
        let values = scalars(v.get_ref()).map_err(|e| format!("{at}: {key}: {e}"))?;
        let mut args = Vec::new();
        collect_args(cmd, path, key, &mut args);
        if args.is_empty() {
            let scope = if path.is_empty() {
                "not a flag of any command".to_string()
            } else {
                format!("not a flag of `rollcall {}`", path.join(" "))
            };
            return Err(format!(
                "{at}: unknown key '{key}': {scope} (keys are the flags in snake_case: `rollcall config COMMAND` lists them)"
            ));
        }
        // The value as the file writes it.
        let shown = text.get(v.span()).unwrap_or_default().trim();
        if path.is_empty() {
            // A top-level key applies wherever its flag takes the value (`from` is an address
            // for `remind`, a snapshot for `diff`): wrong only if no command takes it.
            let reasons: Vec<String> = args
                .iter()
                .filter_map(|(_, a)| check_value(a, &values).err())
                .collect();
            if reasons.len() == args.len() {
                return Err(format!("{at}: {key} = {shown}: {}", reasons[0]));
            }
        } else {
            for (owner, a) in &args {
                if let Err(e) = check_value(a, &values) {
                    return Err(format!("{at}: {key} = {shown} (for `{owner}`): {e}"));
                }
            }
        }
        out.push(Entry {
            table: path.to_vec(),
            key: key.to_string(),
            line,
            values,
        });
    }
    Ok(())
}

/// The flags named `key` in `cmd` and every command below it, with the command's full name.
fn collect_args<'a>(
    cmd: &'a Command,
    path: &[String],
    key: &str,
    out: &mut Vec<(String, &'a Arg)>,
) {
    fn go<'a>(cmd: &'a Command, name: String, key: &str, out: &mut Vec<(String, &'a Arg)>) {
        if let Some(a) = cmd
            .get_arguments()
            .find(|a| is_setting(a) && key_of(a).as_deref() == Some(key))
        {
            out.push((name.clone(), a));
        }
        for sub in cmd.get_subcommands() {
            go(sub, format!("{name} {}", sub.get_name()), key, out);
        }
    }
    let name = std::iter::once("rollcall")
        .chain(path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    go(cmd, name, key, out);
}

/// Whether a flag can be set in the file: a long flag that takes a value or is a switch, but
/// not the flags that choose the file.
fn is_setting(a: &Arg) -> bool {
    !a.is_positional()
        && a.get_long().is_some()
        && !NOT_SETTINGS.contains(&a.get_id().as_str())
        && matches!(
            a.get_action(),
            ArgAction::Set | ArgAction::Append | ArgAction::SetTrue
        )
}

/// The file's key for a flag: its long name in snake_case (`--window-days` is `window_days`).
fn key_of(a: &Arg) -> Option<String> {
    a.get_long().map(snake)
}

fn flag_of(a: &Arg) -> String {
    a.get_long().map(|l| format!("--{l}")).unwrap_or_default()
}

fn snake(s: &str) -> String {
    s.replace('-', "_")
}

/// Flags whose values are paths (relative ones in the file are relative to its folder).
fn is_path(a: &Arg) -> bool {
    matches!(
        a.get_value_hint(),
        ValueHint::AnyPath
            | ValueHint::FilePath
            | ValueHint::DirPath
            | ValueHint::ExecutablePath
            | ValueHint::CommandName
    )
}

/// Flags naming a program that a bare name finds on PATH (`--sendmail`).
fn is_program(a: &Arg) -> bool {
    matches!(
        a.get_value_hint(),
        ValueHint::ExecutablePath | ValueHint::CommandName
    ) || a.get_id().as_str() == "sendmail"
}

/// A flag's built-in default: its default values, or unset.
fn default_of(a: &Arg) -> (Vec<String>, Source) {
    let d: Vec<String> = a
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if d.is_empty() && !matches!(a.get_action(), ArgAction::SetTrue) {
        (d, Source::Unset)
    } else if d.is_empty() {
        (vec!["false".into()], Source::Default)
    } else {
        (d, Source::Default)
    }
}

/// Checks values for a flag as clap would check them on the command line: the switch is true
/// or false, a one-value flag has one, and each value goes through the flag's value parser.
fn check_value(a: &Arg, values: &[String]) -> Result<(), String> {
    match a.get_action() {
        ArgAction::SetTrue => {
            return match values {
                [v] if v == "true" || v == "false" => Ok(()),
                _ => Err("expected true or false".into()),
            }
        }
        ArgAction::Set if values.len() != 1 => {
            return Err("expected one value, not a list".into());
        }
        _ => {}
    }
    if values.is_empty() {
        return Ok(());
    }
    let mut probe = Arg::new("value")
        .value_parser(a.get_value_parser().clone())
        .action(ArgAction::Append)
        .num_args(1..)
        .allow_hyphen_values(true);
    if let Some(d) = a.get_value_delimiter() {
        probe = probe.value_delimiter(d);
    }
    Command::new("rollcall")
        .no_binary_name(true)
        .arg(probe)
        .try_get_matches_from(values)
        .map(|_| ())
        .map_err(|e| clap_words(&e))
}

/// A clap error as one line without its `error:` and help hint.
fn clap_words(e: &clap::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    lines
        .join(" ")
        .trim_start_matches("error: ")
        .replace(" for '[value]'", "")
        .replace(" for '[value]...'", "")
}

/// A TOML value as the text values a flag would get (an array: one per element).
fn scalars(v: &DeValue<'_>) -> Result<Vec<String>, String> {
    fn one(v: &DeValue<'_>) -> Result<String, String> {
        Ok(match v {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|e| format!("integer {}: {e}", i.as_str()))?
                .to_string(),
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Boolean(b) => b.to_string(),
            DeValue::Datetime(d) => d.to_string(),
            DeValue::Array(_) => return Err("a list inside a list".into()),
            DeValue::Table(_) => return Err("a table where a value belongs".into()),
        })
    }
    match v {
        DeValue::Array(items) => items.iter().map(|i| one(i.get_ref())).collect(),
        other => one(other).map(|s| vec![s]),
    }
}

/// 1-based line and column of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        std::iter::once("rollcall")
            .chain(a.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn every_setting_key_is_one_flag_per_command() {
        // Two flags of one command with one key would make a key ambiguous.
        let mut root = Cli::command();
        root.build();
        fn go(cmd: &Command) {
            let mut seen = std::collections::BTreeSet::new();
            for a in cmd.get_arguments().filter(|a| is_setting(a)) {
                assert!(
                    seen.insert(key_of(a)),
                    "{}: {:?}",
                    cmd.get_name(),
                    key_of(a)
                );
            }
            cmd.get_subcommands().for_each(go);
        }
        go(&root);
    }

    #[test]
    fn values_are_checked_by_the_flags_parser() {
        let mut root = Cli::command();
        root.build();
        let serve = root.find_subcommand("serve").unwrap();
        let arg = |id: &str| serve.get_arguments().find(|a| a.get_id() == id).unwrap();
        assert!(check_value(arg("port"), &["8081".into()]).is_ok());
        let e = check_value(arg("port"), &["70000".into()]).unwrap_err();
        assert!(e.contains("70000 is not in 0..=65535"), "{e}");
        let e = check_value(arg("window_days"), &["x".into()]).unwrap_err();
        assert!(e.contains("invalid value 'x'"), "{e}");
        assert!(check_value(arg("open"), &["yes".into()]).is_err());
        assert!(check_value(arg("status"), &["pending".into(), "using".into()]).is_ok());
        assert!(check_value(arg("title"), &["a".into(), "b".into()]).is_err());
    }

    #[test]
    fn the_path_is_found_without_the_file() {
        let m = Cli::command()
            .ignore_errors(true)
            .try_get_matches_from(args(&["--db", "users", "remind", "send"]))
            .unwrap();
        assert_eq!(path_of(&m), ["remind", "send"]);
        assert_eq!(scan_path(&args(&["serve", "--help"])), ["serve"]);
    }

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position("a\nbc = 1", 3), (2, 2));
        assert_eq!(position("x", 0), (1, 1));
    }
}
