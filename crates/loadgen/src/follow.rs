//! Streams that follow another in time. A field whose hints say `"follows": "orders.order_id"`
//! makes its table a follower of `orders`: for a `share` of the orders sent, one record goes a
//! `delay` after its order (its event time that much later too), carrying the order's
//! `order_id`, so that an interval join of the two streams matches exactly that share.
//!
//! The leader's generator offers each record it writes to its followers ([`Leads`], a channel
//! per follower); a follower is sent by [`crate::driver::follow`] when its time comes, not on
//! the rate plan's schedule: its rate is the leader's times the share.

use std::cmp::Ordering;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

use crate::node::Kind;
use crate::{GeneratorError, RecordGenerator};

/// The delay when a `follows` field gives none.
pub const DEFAULT_DELAY: (Duration, Duration) = (Duration::ZERO, Duration::from_secs(1));

/// What a following field asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowSpec {
    /// The leading table, as the references name tables.
    pub leader: String,
    /// The leader's field whose value the follower carries.
    pub leader_field: String,
    /// The follower's field that carries it.
    pub field: String,
    /// Whether the follower's field is a number (the leader's must be too).
    pub numeric: bool,
    /// Uniform between the bounds.
    pub delay: (Duration, Duration),
    /// The share of the leader's records that get a follower.
    pub share: f64,
}

/// One record to follow: when it is due, its event time, and the leader's value.
#[derive(Debug)]
pub struct Lead {
    pub(crate) due: Instant,
    pub(crate) event_micros: i64,
    pub(crate) value: Box<str>,
}

/// What a follower receives from its leader; the leader's end closes it.
pub struct Leads(pub(crate) Receiver<Lead>);

/// A leader's side of one follower.
pub(crate) struct FollowerLink {
    pub sender: Sender<Lead>,
    pub share: f64,
    pub delay: (Duration, Duration),
}

impl FollowerLink {
    /// Offers the record just written (`value` its led field's text); false once the
    /// follower is gone.
    pub fn offer(&self, rng: &mut Xoshiro256PlusPlus, intended: Instant, event_micros: i64, value: &str) -> bool {
        if self.share < 1.0 && !rng.random_bool(self.share.max(0.0)) {
            return true;
        }
        let (min, max) = self.delay;
        let delay = if max > min {
            min + Duration::from_micros(rng.random_range(0..(max - min).as_micros() as u64))
        } else {
            min
        };
        self.sender
            .send(Lead {
                due: intended + delay,
                event_micros: event_micros.saturating_add(delay.as_micros() as i64),
                value: value.into(),
            })
            .is_ok()
    }
}

/// A lead waiting for its time; the earliest first, then in the order they came.
pub(crate) struct Waiting {
    pub lead: Lead,
    pub arrival: u64,
}

impl Waiting {
    fn rank(&self) -> (Instant, u64) {
        (self.lead.due, self.arrival)
    }
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.rank() == other.rank()
    }
}

impl Eq for Waiting {}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` pops its greatest, and the earliest is wanted.
        other.rank().cmp(&self.rank())
    }
}

impl RecordGenerator {
    /// The table this one's records follow, when a field says so.
    pub fn follows(&self) -> Option<&FollowSpec> {
        self.follows.as_ref()
    }

    /// Makes this table lead `follower`: from now on a share of the records written is
    /// offered to it through the returned [`Leads`].
    pub fn lead(&mut self, follower: &FollowSpec) -> Result<Leads, GeneratorError> {
        let refuse = |message: String, hint: String| GeneratorError { message, hint };
        let index = self
            .fields
            .iter()
            .position(|f| f.name == follower.leader_field)
            .ok_or_else(|| {
                refuse(
                    format!(
                        "field `{}` follows `{}.{}`, but `{}` has no field `{}`",
                        follower.field, follower.leader, follower.leader_field, follower.leader, follower.leader_field
                    ),
                    format!(
                        "fields of `{}`: {}",
                        follower.leader,
                        self.fields
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let leader_numeric = match self.fields[index].node.kind {
            Kind::Int | Kind::Long => true,
            Kind::String | Kind::Uuid => false,
            _ => {
                return Err(refuse(
                    format!(
                        "field `{}` follows `{}.{}`, which is not a non-null int, long or string",
                        follower.field, follower.leader, follower.leader_field
                    ),
                    "follow a key: an id field of the leading table".into(),
                ));
            }
        };
        if follower.numeric && !leader_numeric {
            return Err(refuse(
                format!(
                    "field `{}` is a number but follows `{}.{}`, a string",
                    follower.field, follower.leader, follower.leader_field
                ),
                "give the following field the leader's type".into(),
            ));
        }
        if let Some(led) = self.led_index.filter(|led| *led != index) {
            return Err(refuse(
                format!(
                    "field `{}` follows `{}.{}`, but another table follows `{}.{}`",
                    follower.field, follower.leader, follower.leader_field, follower.leader, self.fields[led].name
                ),
                format!("the followers of `{}` follow one field of it", follower.leader),
            ));
        }
        self.led_index = Some(index);
        self.capture[index] = true;
        let (sender, receiver) = std::sync::mpsc::channel();
        self.followers.push(FollowerLink {
            sender,
            share: follower.share,
            delay: follower.delay,
        });
        Ok(Leads(receiver))
    }

    /// Offers the record just written to this table's followers, as if sent at `intended`.
    pub fn offer(&mut self, intended: std::time::Instant, event_micros: i64) {
        if self.followers.is_empty() {
            return;
        }
        let Some(led) = self.led_index else { return };
        let value = String::from_utf8_lossy(&self.captured[led]);
        let rng = &mut self.follow_rng;
        // A follower that is gone (stopped) is offered nothing more.
        self.followers
            .retain(|follower| follower.offer(rng, intended, event_micros, &value));
    }

    /// Writes the record that follows `lead`: its following field holds the leader's value,
    /// its event time is the lead's.
    pub fn next_following(&mut self, lead: &Lead, key: &mut Vec<u8>, value: &mut Vec<u8>) {
        self.next_given(&lead.value, lead.event_micros, key, value);
    }
}
