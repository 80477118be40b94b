//! Pairs the run's generated streams that follow another (`follows` hints) with their
//! leaders, before anything is sent: a follower whose leader this run does not generate, or a
//! circle of streams that each wait for the next, cannot run.

use std::path::PathBuf;

use pipegen_diag::Diagnostic;
use pipegen_loadgen::{Leads, RecordGenerator};

use crate::error::RunError;

/// One table the run generates.
pub(crate) struct Generated {
    pub table: String,
    pub topic: String,
    /// The schema it is generated from (for messages).
    pub schema: PathBuf,
    pub generator: RecordGenerator,
    /// Set for a follower: what its leader sends it.
    pub leads: Option<Leads>,
}

/// Links every follower to its leader.
pub(crate) fn pair(generated: &mut [Generated]) -> Result<(), RunError> {
    let refuse = |at: &Generated, message: String, hint: String| {
        RunError::Input(vec![
            Diagnostic::error(format!("{}: {message}", at.schema.display())).with_hint(hint),
        ])
    };
    for index in 0..generated.len() {
        let Some(spec) = generated[index].generator.follows().cloned() else {
            continue;
        };
        let leader = generated.iter().position(|g| g.table == spec.leader).ok_or_else(|| {
            refuse(
                &generated[index],
                format!(
                    "field `{}` follows `{}.{}`, but this run generates no table `{}`",
                    spec.field, spec.leader, spec.leader_field, spec.leader
                ),
                format!(
                    "a stream follows another the run generates: {}",
                    generated
                        .iter()
                        .map(|g| g.table.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        // Walk up the leaders: coming back here is a circle nobody can start.
        let mut at = leader;
        for _ in 0..generated.len() {
            if at == index {
                return Err(refuse(
                    &generated[index],
                    format!(
                        "`{}` follows `{}`, which follows `{}` in turn: each would wait for the other",
                        generated[index].table, spec.leader, generated[index].table
                    ),
                    "let one of them lead: remove its `follows`".into(),
                ));
            }
            match generated[at].generator.follows() {
                Some(up) => match generated.iter().position(|g| g.table == up.leader) {
                    Some(next) => at = next,
                    None => break,
                },
                None => break,
            }
        }
        let leads = generated[leader]
            .generator
            .lead(&spec)
            .map_err(|e| refuse(&generated[index], e.message, e.hint))?;
        generated[index].leads = Some(leads);
    }
    Ok(())
}
