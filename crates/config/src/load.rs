//! Layering: defaults < `~/.pipegen.yaml` < project `.pipegen.yaml` < `--config FILE` <
//! `PIPEGEN_*` environment < flags. Later layers win key by key; lists are replaced whole.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use pipegen_diag::Position;
use pipegen_diag::input;
use serde_json::Value;

use crate::error::{ConfigError, Located};
use crate::keys::KeyCatalogue;
use crate::origin::{Origin, Source};
use crate::path::KeyPath;
use crate::resolved::ResolvedConfig;
use crate::schema::Config;
use crate::secret::{REDACTED, Secret, is_secret_key, redact_url_credentials, split_url_credentials};
use crate::validate::validate;
use crate::{env, yaml};

/// The name of a project's (and the user's) config file.
pub const CONFIG_FILE_NAME: &str = ".pipegen.yaml";

/// Everything the loader reads, passed in so that tests control the environment.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub project_dir: PathBuf,
    /// `--config FILE`.
    pub explicit_file: Option<PathBuf>,
    /// Where `~/.pipegen.yaml` lives; `None` skips the user layer.
    pub home_dir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub flags: Vec<FlagValue>,
}

impl LoadOptions {
    /// Options reading this process's `HOME` and environment.
    pub fn from_process(project_dir: impl Into<PathBuf>, explicit_file: Option<PathBuf>) -> Self {
        Self {
            project_dir: project_dir.into(),
            explicit_file,
            home_dir: std::env::var_os("HOME").map(PathBuf::from),
            env: std::env::vars().collect(),
            flags: Vec::new(),
        }
    }
}

/// A value given on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagValue {
    pub key: KeyPath,
    pub value: Value,
    /// As the user typed it, e.g. `--message-rate`.
    pub flag: String,
}

impl FlagValue {
    pub fn new(key: &str, value: impl Into<Value>, flag: &str) -> Self {
        Self {
            key: KeyPath::parse(key),
            value: value.into(),
            flag: flag.to_owned(),
        }
    }
}

/// A value one layer sets.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    pub path: KeyPath,
    pub value: Value,
    pub origin: Origin,
}

/// One file's text and where each of its nodes starts (for pointing at lines later).
#[derive(Debug, Clone)]
pub(crate) struct FileLayer {
    pub text: String,
    pub positions: HashMap<KeyPath, Position>,
}

pub fn load(options: &LoadOptions) -> Result<ResolvedConfig, ConfigError> {
    // A mistyped --project-dir would otherwise read as a project without a config file.
    input::check_dir(&options.project_dir).map_err(ConfigError::ProjectDir)?;
    load_with(options, |path| input::read_text(path, input::CONFIG))
}

/// [`load`] with the config files' text from `read` instead of the file system (a file it
/// says is not found is skipped, as on disk): how text that is not in a file is loaded.
pub fn load_with(
    options: &LoadOptions,
    read: impl Fn(&Path) -> Result<String, input::InputError>,
) -> Result<ResolvedConfig, ConfigError> {
    let catalogue = KeyCatalogue::new();
    let mut files: HashMap<PathBuf, FileLayer> = HashMap::new();
    let mut settings: Vec<Setting> = Vec::new();

    let home_file = options.home_dir.as_ref().map(|h| h.join(CONFIG_FILE_NAME));
    let project_file = options.project_dir.join(CONFIG_FILE_NAME);
    let mut candidates: Vec<(Source, bool)> = Vec::new();
    if let Some(home_file) = home_file {
        // The same file twice (a project in the home directory) is read once, as the project's.
        if !same_file(&home_file, &project_file) {
            candidates.push((Source::UserFile(home_file), false));
        }
    }
    candidates.push((Source::ProjectFile(project_file), false));
    if let Some(explicit) = &options.explicit_file {
        candidates.push((Source::ExplicitFile(explicit.clone()), true));
    }
    for (source, required) in candidates {
        let Some(path) = source.file().cloned() else {
            continue;
        };
        let text = match read(&path) {
            Ok(text) => text,
            Err(e) if e.is_not_found() && !required => continue,
            Err(e) => return Err(ConfigError::Read(e)),
        };
        let layer = read_file_layer(&source, text, &mut settings)?;
        files.insert(path, layer);
    }

    for (variable, raw) in &options.env {
        if let Some(path) = env::key_of(variable) {
            settings.push(Setting {
                path,
                value: yaml::parse_scalar(raw),
                origin: Origin {
                    source: Source::Env(variable.clone()),
                    position: None,
                },
            });
        }
    }
    // The original tool's provider variables (`PIPEGEN_OPENAI_API_KEY`, ...) fill `ai`.
    let chosen_provider = settings
        .iter()
        .rev()
        .find(|s| s.path == KeyPath::parse("ai.provider"))
        .and_then(|s| s.value.as_str().map(str::to_owned));
    for (variable, path, value) in env::provider_settings(&options.env, chosen_provider.as_deref()) {
        settings.push(Setting {
            path,
            value: Value::String(value),
            origin: Origin {
                source: Source::Env(variable.to_owned()),
                position: None,
            },
        });
    }
    for flag in &options.flags {
        settings.push(Setting {
            path: flag.key.clone(),
            value: flag.value.clone(),
            origin: Origin {
                source: Source::Flag(flag.flag.clone()),
                position: None,
            },
        });
    }

    for setting in &settings {
        if let Err(unknown) = catalogue.check(&setting.path) {
            let origin = origin_at(&files, &setting.origin, &unknown.path);
            return Err(ConfigError::UnknownKey(Box::new(Located {
                key: unknown.path.to_string(),
                source_line: source_line(&files, &origin).map(|line| {
                    if may_be_secret(&unknown.path, unknown.suggestion.as_deref()) {
                        hide_value(&line)
                    } else {
                        line
                    }
                }),
                origin,
                message: "this key does not exist".to_owned(),
                suggestion: unknown.suggestion,
                hint: unknown.hint,
            })));
        }
    }
    // `run:` with every key below it commented out sets nothing.
    settings.retain(|s| !(s.value.is_null() && catalogue.is_section(&s.path)));
    for setting in &settings {
        if catalogue.is_section(&setting.path) && !setting.value.is_object() {
            let origin = origin_at(&files, &setting.origin, &setting.path);
            let keys = catalogue.children(&setting.path);
            return Err(ConfigError::InvalidValue(Box::new(Located {
                key: setting.path.to_string(),
                source_line: source_line(&files, &origin),
                origin,
                message: format!("this is a section of keys, not {}", kind_of(&setting.value)),
                suggestion: None,
                hint: Some(format!(
                    "write the keys below it, e.g. `{}:` then `  {}: ...` (keys here: {})",
                    setting.path.last().unwrap_or_default(),
                    keys[0],
                    keys.join(", ")
                )),
            })));
        }
    }
    for setting in &mut settings {
        interpolate_env(setting, &options.env, &files)?;
    }

    let merged = merge(settings);
    let tree = build_tree(&merged);
    let mut config: Config = serde_path_to_error::deserialize(&tree).map_err(|e| {
        let path = KeyPath::parse(&e.path().to_string().replace('[', ".").replace(']', ""));
        invalid_value(&files, &merged, &path, e.inner().to_string(), None)
    })?;
    validate(&config)
        .and_then(|()| take_registry_credentials(&mut config))
        .map_err(|problem| {
            invalid_value(
                &files,
                &merged,
                &KeyPath::parse(problem.key),
                problem.message,
                problem.hint,
            )
        })?;

    let origins = merged.into_iter().map(|(path, (_, origin))| (path, origin)).collect();
    Ok(ResolvedConfig::new(config, origins))
}

/// Credentials written into `schema_registry_url` (`http://user:pass@host`) become the
/// registry's basic-auth user and password, so that the URL pipegen shows and records never
/// carries the password.
fn take_registry_credentials(config: &mut Config) -> Result<(), crate::validate::Problem> {
    let Some((bare, user, password)) = config.schema_registry_url.as_deref().and_then(split_url_credentials) else {
        return Ok(());
    };
    let registry = &mut config.schema_registry;
    if registry.username.is_some() || registry.password.is_some() {
        return Err(crate::validate::Problem {
            key: "schema_registry_url",
            message: "the URL carries credentials, and so do schema_registry.username / password".into(),
            hint: Some("keep one: the URL's, or the two keys (the password from ${AN_ENV_VARIABLE})".into()),
        });
    }
    config.schema_registry_url = Some(bare);
    registry.username = Some(user);
    registry.password = Some(Secret::new(password));
    Ok(())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "a list",
        Value::String(_) => "text",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null | Value::Object(_) => "a value",
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn read_file_layer(source: &Source, text: String, settings: &mut Vec<Setting>) -> Result<FileLayer, ConfigError> {
    let document = yaml::parse_document(&text).map_err(|e| {
        ConfigError::Syntax(Box::new(Located {
            key: String::new(),
            origin: Origin {
                source: source.clone(),
                position: e.position,
            },
            source_line: e.position.and_then(|p| nth_line(&text, p.line)).map(|line| {
                if line_sets_secret(&line) {
                    hide_value(&line)
                } else {
                    line
                }
            }),
            message: e.message,
            suggestion: None,
            hint: e.hint,
        }))
    })?;
    settings.extend(document.leaves.into_iter().map(|leaf| Setting {
        path: leaf.path,
        value: leaf.value,
        origin: Origin {
            source: source.clone(),
            position: leaf.position,
        },
    }));
    Ok(FileLayer {
        text,
        positions: document.positions.into_iter().collect(),
    })
}

/// Later settings win. A setting replaces whatever an earlier one set at, above or below its
/// path, so `a.b: {..}` followed by `a.b.c: 1` and the reverse both behave.
fn merge(settings: Vec<Setting>) -> BTreeMap<KeyPath, (Value, Origin)> {
    let mut merged: BTreeMap<KeyPath, (Value, Origin)> = BTreeMap::new();
    for setting in settings {
        merged.retain(|existing, _| !(existing.starts_with(&setting.path) || setting.path.starts_with(existing)));
        merged.insert(setting.path, (setting.value, setting.origin));
    }
    merged
}

fn build_tree(merged: &BTreeMap<KeyPath, (Value, Origin)>) -> Value {
    let mut root = Value::Object(serde_json::Map::new());
    for (path, (value, _)) in merged {
        let mut node = &mut root;
        for segment in path.segments() {
            if !node.is_object() {
                *node = Value::Object(serde_json::Map::new());
            }
            let Value::Object(map) = node else {
                unreachable!("just made an object")
            };
            node = map.entry(segment.clone()).or_insert(Value::Null);
        }
        *node = value.clone();
    }
    root
}

/// Replaces `${NAME}` in string values read from files with the environment variable `NAME`
/// (how secrets such as `password: ${KAFKA_PASSWORD}` stay out of files).
fn interpolate_env(
    setting: &mut Setting,
    env: &[(String, String)],
    files: &HashMap<PathBuf, FileLayer>,
) -> Result<(), ConfigError> {
    if setting.origin.source.file().is_none() {
        return Ok(());
    }
    let Value::String(text) = &setting.value else {
        return Ok(());
    };
    if !text.contains("${") {
        return Ok(());
    }
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(interpolation_error(
                setting,
                files,
                "`${` is not closed with `}`".into(),
            ));
        };
        let name = &after[..end];
        match env.iter().find(|(k, _)| k == name) {
            Some((_, value)) => out.push_str(value),
            None => {
                return Err(interpolation_error(
                    setting,
                    files,
                    format!("environment variable `{name}` is not set"),
                ));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    setting.value = Value::String(out);
    Ok(())
}

fn interpolation_error(setting: &Setting, files: &HashMap<PathBuf, FileLayer>, message: String) -> ConfigError {
    ConfigError::InvalidValue(Box::new(Located {
        key: setting.path.to_string(),
        source_line: secret_safe_line(files, &setting.origin, &setting.path),
        origin: setting.origin.clone(),
        message,
        suggestion: None,
        hint: Some("export the variable before running pipegen, or write the value in the file".into()),
    }))
}

fn invalid_value(
    files: &HashMap<PathBuf, FileLayer>,
    merged: &BTreeMap<KeyPath, (Value, Origin)>,
    path: &KeyPath,
    message: String,
    hint: Option<String>,
) -> ConfigError {
    let origin = merged
        .iter()
        .filter(|(set, _)| path.starts_with(set) || set.starts_with(path))
        .max_by_key(|(set, _)| set.segments().len())
        .map(|(_, (_, origin))| origin.clone())
        .unwrap_or_else(Origin::default_value);
    let origin = origin_at(files, &origin, path);
    let hint = hint.or_else(|| match &origin.source {
        Source::Default => None,
        _ => Some(format!("`{path}` is set by {origin}")),
    });
    // serde quotes the value it could not take (`invalid type: integer `1234``).
    let message = if is_secret_key(&path.to_string()) {
        hide_quoted(&message)
    } else {
        message
    };
    ConfigError::InvalidValue(Box::new(Located {
        key: path.to_string(),
        source_line: secret_safe_line(files, &origin, path),
        origin,
        message,
        suggestion: None,
        hint,
    }))
}

/// Narrows an origin to the exact node at `path` when its file knows where that node is.
fn origin_at(files: &HashMap<PathBuf, FileLayer>, origin: &Origin, path: &KeyPath) -> Origin {
    let position = origin
        .source
        .file()
        .and_then(|file| files.get(file))
        .and_then(|layer| layer.positions.get(path).copied());
    Origin {
        source: origin.source.clone(),
        position: position.or(origin.position),
    }
}

/// The line an origin points at, with any URL's password hidden.
fn source_line(files: &HashMap<PathBuf, FileLayer>, origin: &Origin) -> Option<String> {
    let layer = files.get(origin.source.file()?)?;
    nth_line(&layer.text, origin.position?.line).map(|line| redact_url_credentials(&line))
}

/// The line an origin points at, its value hidden when the key is a secret's.
fn secret_safe_line(files: &HashMap<PathBuf, FileLayer>, origin: &Origin, path: &KeyPath) -> Option<String> {
    let line = source_line(files, origin)?;
    Some(if is_secret_key(&path.to_string()) || line_sets_secret(&line) {
        hide_value(&line)
    } else {
        line
    })
}

/// Whether an unknown key may be a mistyped secret's (`pasword`, `sasl_passwd`), so that its
/// value is not shown.
fn may_be_secret(path: &KeyPath, suggestion: Option<&str>) -> bool {
    const SECRET_WORDS: &[&str] = &["password", "passwd", "secret", "token", "credential", "jaas"];
    let word = path.last().unwrap_or_default();
    is_secret_key(&path.to_string())
        || suggestion.is_some_and(is_secret_key)
        || word
            .split(['_', '.', '-'])
            .any(|part| pipegen_diag::did_you_mean(part, SECRET_WORDS.iter().copied()).is_some())
}

/// Whether a YAML line's key names a secret (`password: ...`).
fn line_sets_secret(line: &str) -> bool {
    line.split_once(':').is_some_and(|(key, _)| is_secret_key(key))
}

/// A line with whatever follows its key (or its list dash) replaced by [`REDACTED`].
fn hide_value(line: &str) -> String {
    let indent = &line[..line.len() - line.trim_start().len()];
    let body = line.trim_start();
    if let Some(item) = body.strip_prefix("- ")
        && !item.contains(": ")
    {
        return format!("{indent}- {REDACTED}");
    }
    match body.find(": ").or_else(|| body.strip_suffix(':').map(|k| k.len())) {
        Some(colon) if body[colon + 1..].trim().is_empty() => line.to_owned(),
        Some(colon) => format!("{indent}{}: {REDACTED}", &body[..colon]),
        None => format!("{indent}{REDACTED}"),
    }
}

/// Text with every `quoted` span replaced by [`REDACTED`].
fn hide_quoted(message: &str) -> String {
    let mut parts = message.split('`');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for (index, part) in parts.enumerate() {
        out.push('`');
        out.push_str(if index % 2 == 0 { REDACTED } else { part });
    }
    out
}

fn nth_line(text: &str, line: usize) -> Option<String> {
    text.lines().nth(line.checked_sub(1)?).map(str::to_owned)
}
