//! Credentials: the values the SQL names as `${NAME}` (database passwords, URLs) reach the
//! pods from a Secret, referred to by name. pipegen writes the Secret's keys with empty
//! values into an owner-only file for the user to fill, and keeps what was filled in when the
//! target is written again; no value is ever written into a manifest.

use std::collections::BTreeMap;
use std::path::Path;

use crate::needs::Needs;
use crate::stack::Stack;

pub const CREDENTIALS_FILE: &str = "credentials.env";

pub fn credentials_secret_name(stack: &Stack) -> String {
    format!("{}-credentials", stack.name)
}

/// `KEY=` for each placeholder, keeping values already filled in `previous`'s file.
pub fn credentials_env(needs: &Needs, previous: Option<&Path>) -> String {
    let filled = previous
        .map(|dir| read_env(&dir.join(CREDENTIALS_FILE)))
        .unwrap_or_default();
    let mut text = String::from(
        "# Values for the pipeline's placeholders, one KEY=value a line. Fill them in before\n\
         # `kubectl apply -k`; kustomize turns this file into a Secret. Keep it out of version control.\n",
    );
    for placeholder in &needs.user_placeholders {
        let value = filled.get(&placeholder.name).map(String::as_str).unwrap_or_default();
        text.push_str(&format!(
            "# {} line {}\n{}={value}\n",
            placeholder.file.display(),
            placeholder.position.line,
            placeholder.name
        ));
    }
    text
}

fn read_env(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.to_owned()))
        .collect()
}

/// The keys of the credentials file in `dir` that are still empty (or missing).
pub fn missing_credentials(dir: &Path, needs: &Needs) -> Vec<String> {
    let filled = read_env(&dir.join(CREDENTIALS_FILE));
    needs
        .user_placeholders
        .iter()
        .filter(|p| filled.get(&p.name).is_none_or(|v| v.is_empty()))
        .map(|p| p.name.clone())
        .collect()
}

/// The container environment entries that read each placeholder from the Secret.
pub fn env_from_secret(needs: &Needs, stack: &Stack) -> Vec<serde_json::Value> {
    needs
        .user_placeholders
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "valueFrom": {"secretKeyRef": {"name": credentials_secret_name(stack), "key": p.name}},
            })
        })
        .collect()
}
