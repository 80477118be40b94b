//! The pattern automaton of one partition key, as Flink's CEP library runs it for
//! MATCH_RECOGNIZE: every row may start a match; each partial match advances by TAKE (the row
//! is mapped to the current variable) and PROCEED (on to the next variable, on the same row);
//! variables follow each other strictly (no row skipped). A greedy quantifier keeps its rows:
//! the variable after it takes a row only if the quantified variable would not. A completed
//! match is emitted once no partial match started before it, and the AFTER MATCH SKIP
//! strategy then prunes what it overlaps. `WITHIN` drops partial matches whose first row is
//! that long before the current time.

use crate::error::EngineError;

/// One variable of the pattern with its quantifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    /// The variable's index (in the order variables first appear in PATTERN).
    pub var: usize,
    pub min: u32,
    /// `None`: unbounded.
    pub max: Option<u32>,
    /// A greedy loop or range (`*`, `+`, `{n,}`, `{n,m}` with n < m): the next variable's
    /// transitions hold only for a row this variable would not take.
    pub greedy: bool,
}

/// AFTER MATCH SKIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Drop every partial match that started at or before the match's last row.
    PastLastRow,
    /// Drop every other partial match that started at the match's first row.
    ToNextRow,
}

/// A compiled PATTERN.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub elements: Vec<Element>,
    pub skip: Skip,
    /// WITHIN, in milliseconds: a match's last row is less than this after its first.
    pub within: Option<i64>,
}

/// A row mapped to a variable; `seq` orders the key's rows as they were matched.
#[derive(Debug, Clone)]
pub struct Mapped<R> {
    pub var: usize,
    pub seq: u64,
    pub row: R,
}

/// A row offered to the automaton.
pub struct Event<R> {
    pub seq: u64,
    pub time: i64,
    pub row: R,
}

#[derive(Debug, Clone)]
struct Partial<R> {
    /// The element the last row went to, and how many rows it holds.
    element: usize,
    taken: u32,
    start: u64,
    start_time: i64,
    rows: Vec<Mapped<R>>,
}

/// The partial and completed (not yet emitted) matches of one key.
#[derive(Debug)]
pub struct Nfa<R> {
    partials: Vec<Partial<R>>,
    completed: Vec<Partial<R>>,
}

impl<R> Default for Nfa<R> {
    fn default() -> Self {
        Self {
            partials: Vec::new(),
            completed: Vec::new(),
        }
    }
}

/// Whether the variable `var` takes the candidate row after `rows` (its DEFINE condition; a
/// variable without one takes every row).
pub trait Conditions<R> {
    fn holds(&mut self, var: usize, rows: &[Mapped<R>], candidate: &R) -> Result<bool, EngineError>;
}

impl<R: Clone> Nfa<R> {
    /// Whether nothing is in progress or waiting.
    pub fn is_idle(&self) -> bool {
        self.partials.is_empty() && self.completed.is_empty()
    }

    /// The size of the rows partial and waiting matches hold, `size` a row's (a row shared by
    /// several matches counts in each).
    pub fn held(&self, size: impl Fn(&R) -> usize) -> usize {
        self.partials
            .iter()
            .chain(&self.completed)
            .flat_map(|p| &p.rows)
            .map(|m| size(&m.row))
            .sum()
    }

    /// Offers the next row (in time order); returns the matches it lets out, in order.
    pub fn process(
        &mut self,
        pattern: &Pattern,
        event: &Event<R>,
        conditions: &mut impl Conditions<R>,
    ) -> Result<Vec<Vec<Mapped<R>>>, EngineError> {
        let mut next = Vec::new();
        let partials = std::mem::take(&mut self.partials);
        for partial in &partials {
            expand(
                pattern,
                partial,
                partial.element,
                partial.taken,
                event,
                conditions,
                &mut next,
            )?;
        }
        let start = Partial {
            element: 0,
            taken: 0,
            start: event.seq,
            start_time: event.time,
            rows: Vec::new(),
        };
        expand(pattern, &start, 0, 0, event, conditions, &mut next)?;
        let last = pattern.elements.len() - 1;
        let (done, going): (Vec<_>, Vec<_>) = next.into_iter().partition(|p| p.element == last);
        self.partials = going;
        self.partials.sort_by_key(|p| p.start);
        self.completed.extend(done);
        self.completed.sort_by_key(|p| p.start);
        Ok(self.emit(pattern))
    }

    /// Event time reached `time`: partial matches too old for WITHIN end, which may let
    /// completed matches out.
    pub fn advance_time(&mut self, pattern: &Pattern, time: i64) -> Vec<Vec<Mapped<R>>> {
        let Some(within) = pattern.within else {
            return Vec::new();
        };
        self.partials.retain(|p| time.saturating_sub(p.start_time) < within);
        self.emit(pattern)
    }

    /// The completed matches no earlier partial match holds back, each pruning the others
    /// as the skip strategy says.
    fn emit(&mut self, pattern: &Pattern) -> Vec<Vec<Mapped<R>>> {
        let mut out = Vec::new();
        while let Some(first) = self.completed.first() {
            if self.partials.first().is_some_and(|p| p.start < first.start) {
                break;
            }
            let done = self.completed.remove(0);
            let bound = match pattern.skip {
                Skip::PastLastRow => done.rows.iter().map(|m| m.seq).max().unwrap_or(done.start),
                Skip::ToNextRow => done.start,
            };
            self.partials.retain(|p| p.start > bound);
            self.completed.retain(|p| p.start > bound);
            out.push(done.rows);
        }
        out
    }
}

/// The successors of `partial` in state (`element`, `taken`) for `event`: a TAKE into the
/// element, then (when the element has its fewest rows) whatever follows a PROCEED.
fn expand<R: Clone>(
    pattern: &Pattern,
    partial: &Partial<R>,
    element: usize,
    taken: u32,
    event: &Event<R>,
    conditions: &mut impl Conditions<R>,
    out: &mut Vec<Partial<R>>,
) -> Result<(), EngineError> {
    let current = pattern.elements[element];
    // The state right after a greedy element: none of its transitions holds for a row the
    // greedy element would take.
    if taken == 0
        && element > 0
        && let previous = pattern.elements[element - 1]
        && previous.greedy
        && conditions.holds(previous.var, &partial.rows, &event.row)?
    {
        return Ok(());
    }
    if current.max.is_none_or(|max| taken < max) && conditions.holds(current.var, &partial.rows, &event.row)? {
        let mut rows = partial.rows.clone();
        rows.push(Mapped {
            var: current.var,
            seq: event.seq,
            row: event.row.clone(),
        });
        out.push(Partial {
            element,
            taken: taken + 1,
            start: partial.start,
            start_time: partial.start_time,
            rows,
        });
    }
    if taken >= current.min && element + 1 < pattern.elements.len() {
        expand(pattern, partial, element + 1, 0, event, conditions, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Conditions over integer rows: `A` takes anything, `B` a row below the previous one of
    /// the match, `C` a row above it.
    struct Falling;

    impl Conditions<i64> for Falling {
        fn holds(&mut self, var: usize, rows: &[Mapped<i64>], candidate: &i64) -> Result<bool, EngineError> {
            let previous = rows.last().map(|m| m.row);
            Ok(match var {
                0 => true,
                1 => previous.is_some_and(|p| *candidate < p),
                _ => previous.is_some_and(|p| *candidate > p),
            })
        }
    }

    fn v_shape(skip: Skip) -> Pattern {
        Pattern {
            elements: vec![
                Element {
                    var: 0,
                    min: 1,
                    max: Some(1),
                    greedy: false,
                },
                Element {
                    var: 1,
                    min: 1,
                    max: None,
                    greedy: true,
                },
                Element {
                    var: 2,
                    min: 1,
                    max: Some(1),
                    greedy: false,
                },
            ],
            skip,
            within: None,
        }
    }

    fn run(pattern: &Pattern, values: &[i64]) -> Vec<Vec<i64>> {
        let mut nfa = Nfa::default();
        let mut out = Vec::new();
        for (seq, value) in values.iter().enumerate() {
            let event = Event {
                seq: seq as u64,
                time: seq as i64,
                row: *value,
            };
            for found in nfa.advance_time(pattern, event.time) {
                out.push(found.iter().map(|m| m.row).collect());
            }
            for found in nfa.process(pattern, &event, &mut Falling).unwrap() {
                out.push(found.iter().map(|m| m.row).collect());
            }
        }
        out
    }

    #[test]
    fn a_greedy_loop_keeps_falling_rows_and_the_earliest_match_wins() {
        // 9 8 7 8: the match from 9 holds back the one from 8; past its last row nothing is left.
        assert_eq!(
            run(&v_shape(Skip::PastLastRow), &[9, 8, 7, 8, 5]),
            vec![vec![9, 8, 7, 8]]
        );
    }

    #[test]
    fn skip_to_next_row_lets_overlapping_matches_out() {
        assert_eq!(
            run(&v_shape(Skip::ToNextRow), &[9, 8, 7, 8]),
            vec![vec![9, 8, 7, 8], vec![8, 7, 8]]
        );
    }

    #[test]
    fn within_drops_partial_matches_that_began_too_early() {
        let mut pattern = v_shape(Skip::PastLastRow);
        pattern.within = Some(3);
        // 9 8 7 6 8 spans 4 ms from its first row: too long; 8 7 6 8 spans 3: too long too;
        // 7 6 8 spans 2.
        assert_eq!(run(&pattern, &[9, 8, 7, 6, 8]), vec![vec![7, 6, 8]]);
    }
}
