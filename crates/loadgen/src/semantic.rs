//! Realistic values by default, judged from field names and types. Text comes from pools the
//! faker fills once per run (deterministically from the seed), so drawing a value costs an
//! index, not a faker call: realism and a million records a second.

use std::collections::HashMap;
use std::sync::Arc;

use fake::Fake;
use fake::faker::{address, company, currency, internet, lorem, name, phone_number};
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use serde_json::Value;

use crate::node::{Distribution, Kind, Strategy};

const POOL_SIZE: usize = 512;

/// Pools by kind of text, made on first use.
pub(crate) struct Pools {
    seed: u64,
    made: HashMap<&'static str, Arc<[Arc<str>]>>,
}

impl Pools {
    /// Each kind's pool is drawn from `seed` and the kind alone, whatever else the schema
    /// asks for and in whatever order: the tables of a run that share a seed share their
    /// pools (a name drawn `per` a key is the same name in each).
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            made: HashMap::new(),
        }
    }

    fn pool(&mut self, kind: &'static str) -> Arc<[Arc<str>]> {
        if let Some(pool) = self.made.get(kind) {
            return pool.clone();
        }
        let rng = &mut <Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(
            self.seed ^ crate::seed::stable_hash(kind.bytes()),
        );
        let values: Vec<Arc<str>> = (0..POOL_SIZE)
            .map(|_| {
                let text: String = match kind {
                    "email" => internet::en::SafeEmail().fake_with_rng(rng),
                    "first_name" => name::en::FirstName().fake_with_rng(rng),
                    "last_name" => name::en::LastName().fake_with_rng(rng),
                    "name" => name::en::Name().fake_with_rng(rng),
                    "username" => internet::en::Username().fake_with_rng(rng),
                    "city" => address::en::CityName().fake_with_rng(rng),
                    "country" => address::en::CountryName().fake_with_rng(rng),
                    "country_code" => address::en::CountryCode().fake_with_rng(rng),
                    "state" => address::en::StateName().fake_with_rng(rng),
                    "street" => {
                        let number: String = address::en::BuildingNumber().fake_with_rng(rng);
                        let street: String = address::en::StreetName().fake_with_rng(rng);
                        format!("{number} {street}")
                    }
                    "zip" => address::en::ZipCode().fake_with_rng(rng),
                    "ip" => internet::en::IPv4().fake_with_rng(rng),
                    "phone" => phone_number::en::PhoneNumber().fake_with_rng(rng),
                    "currency" => currency::en::CurrencyCode().fake_with_rng(rng),
                    "company" => company::en::CompanyName().fake_with_rng(rng),
                    "user_agent" => internet::en::UserAgent().fake_with_rng(rng),
                    "sentence" => lorem::en::Sentence(4..12).fake_with_rng(rng),
                    "url" => {
                        let word: String = lorem::en::Word().fake_with_rng(rng);
                        let path: String = lorem::en::Word().fake_with_rng(rng);
                        let suffix: String = internet::en::DomainSuffix().fake_with_rng(rng);
                        format!("https://www.{word}.{suffix}/{path}")
                    }
                    _ => lorem::en::Word().fake_with_rng(rng),
                };
                Arc::from(text)
            })
            .collect();
        let pool: Arc<[Arc<str>]> = values.into();
        self.made.insert(kind, pool.clone());
        pool
    }

    /// The strategy a field gets when its schema says nothing but its name and type.
    /// `first` is whether it is the record's first field (an event's own id).
    pub fn strategy_for(&mut self, field: &str, kind: &Kind, first: bool) -> Strategy {
        let name = field.to_ascii_lowercase();
        let is = |words: &[&str]| words.iter().any(|w| name == *w || name.ends_with(&format!("_{w}")));
        let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
        let id_like =
            name == "id" || name.ends_with("_id") || name.ends_with("id") && name.len() > 2 && !has(&["paid", "void"]);
        if id_like && matches!(kind, Kind::String | Kind::Int | Kind::Long) {
            // An event's own id counts up; other ids are keys into a bounded space.
            if first {
                return Strategy::Sequence {
                    start: 1.0,
                    step: 1.0,
                    id: 0,
                };
            }
            return key(1000, matches!(kind, Kind::String).then(|| id_prefix(&name)));
        }
        match kind {
            Kind::String => {
                let pool = if has(&["email", "e_mail"]) {
                    "email"
                } else if is(&["first_name", "firstname", "given_name"]) {
                    "first_name"
                } else if is(&["last_name", "lastname", "surname", "family_name"]) {
                    "last_name"
                } else if is(&["username", "user_name", "login", "handle"]) {
                    "username"
                } else if is(&["name", "customer", "full_name", "contact"])
                    && !has(&["product", "file", "host", "event"])
                {
                    "name"
                } else if is(&["city", "town"]) {
                    "city"
                } else if is(&["country_code"]) {
                    "country_code"
                } else if is(&["country"]) {
                    "country"
                } else if is(&["state", "province"]) && !is(&["order_state"]) {
                    "state"
                } else if has(&["street", "address"]) && !has(&["ip", "mac", "email"]) {
                    "street"
                } else if has(&["zip", "postal", "postcode"]) {
                    "zip"
                } else if is(&["ip", "ip_address", "ipv4", "client_ip", "remote_addr"]) {
                    "ip"
                } else if has(&["phone", "mobile"]) {
                    "phone"
                } else if is(&["currency", "currency_code"]) {
                    "currency"
                } else if has(&["company", "merchant", "vendor", "employer", "organization"]) {
                    "company"
                } else if has(&["user_agent", "useragent"]) {
                    "user_agent"
                } else if has(&["url", "uri", "link", "website", "page", "referrer", "referer"]) {
                    "url"
                } else if has(&[
                    "description",
                    "comment",
                    "message",
                    "text",
                    "note",
                    "review",
                    "title",
                    "summary",
                ]) {
                    "sentence"
                } else if let Some(options) = realistic_options(&name) {
                    return Strategy::Options(options);
                } else {
                    "word"
                };
                Strategy::Pool(self.pool(pool))
            }
            Kind::Int | Kind::Long => {
                let range = |min: f64, max: f64| Strategy::Range {
                    min,
                    max,
                    distribution: Distribution::Uniform,
                };
                if matches!(kind, Kind::Long)
                    && (is(&["ts", "timestamp", "time", "epoch", "ms", "millis"]) || name.ends_with("_at"))
                {
                    Strategy::EventTime
                } else if has(&["quantity", "qty", "count", "items", "units"]) {
                    range(1.0, 11.0)
                } else if is(&["age"]) {
                    range(18.0, 91.0)
                } else if is(&["year"]) {
                    range(2000.0, 2031.0)
                } else if has(&["rating", "stars"]) {
                    range(1.0, 6.0)
                } else if has(&["score", "percent", "pct"]) {
                    range(0.0, 101.0)
                } else if is(&["port"]) {
                    range(1024.0, 65_536.0)
                } else if has(&["duration", "latency", "elapsed"]) {
                    range(1.0, 2001.0)
                } else if has(&["status_code", "http_status"]) {
                    Strategy::Options(json_list(&[200, 200, 200, 201, 204, 301, 400, 401, 404, 500]))
                } else if matches!(kind, Kind::Int) {
                    range(0.0, 1000.0)
                } else {
                    range(0.0, 1_000_000.0)
                }
            }
            Kind::Float | Kind::Double | Kind::Decimal { .. } => {
                if has(&[
                    "price", "amount", "total", "cost", "revenue", "value", "balance", "fee", "salary", "spend",
                    "payment",
                ]) {
                    Strategy::Money { min: 1.0, max: 1000.0 }
                } else if is(&["lat", "latitude"]) {
                    Strategy::Range {
                        min: -90.0,
                        max: 90.0,
                        distribution: Distribution::Uniform,
                    }
                } else if is(&["lon", "lng", "longitude"]) {
                    Strategy::Range {
                        min: -180.0,
                        max: 180.0,
                        distribution: Distribution::Uniform,
                    }
                } else if has(&["rating", "score"]) {
                    Strategy::Range {
                        min: 1.0,
                        max: 5.0,
                        distribution: Distribution::Normal,
                    }
                } else if has(&["ratio", "rate", "percent", "pct", "probability"]) {
                    Strategy::Range {
                        min: 0.0,
                        max: 1.0,
                        distribution: Distribution::Uniform,
                    }
                } else if has(&["temperature", "temp"]) {
                    Strategy::Range {
                        min: -10.0,
                        max: 40.0,
                        distribution: Distribution::Normal,
                    }
                } else {
                    Strategy::Range {
                        min: 0.0,
                        max: 1000.0,
                        distribution: Distribution::Uniform,
                    }
                }
            }
            Kind::Timestamp { .. } | Kind::Date | Kind::TimeMillis | Kind::TimeMicros => Strategy::EventTime,
            _ => Strategy::Plain,
        }
    }
}

fn key(space: u64, prefix: Option<String>) -> Strategy {
    Strategy::Key {
        space,
        distribution: Distribution::Uniform,
        prefix: prefix.map(Arc::from),
    }
}

/// `customer_id` → `C`, `product_sku_id` → `P`: readable keys such as `C-000042`.
fn id_prefix(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_else(|| "K".into())
}

fn json_list<T: Into<Value> + Copy>(items: &[T]) -> Arc<[Value]> {
    items.iter().map(|v| (*v).into()).collect()
}

/// Small categorical fields that look wrong as random words.
fn realistic_options(name: &str) -> Option<Arc<[Value]>> {
    let list: &[&str] = if name.contains("status") || name.ends_with("state") {
        &["PENDING", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"]
    } else if name.contains("category") {
        &[
            "electronics",
            "books",
            "clothing",
            "home",
            "toys",
            "sports",
            "beauty",
            "grocery",
        ]
    } else if name.contains("region") {
        &["EMEA", "AMER", "APAC", "LATAM"]
    } else if name.contains("level") || name.contains("severity") {
        &["DEBUG", "INFO", "WARN", "ERROR"]
    } else if name.contains("method") {
        &["GET", "POST", "PUT", "DELETE"]
    } else if name == "os" || name.ends_with("_os") {
        &["Android", "iOS", "Windows", "macOS", "Linux"]
    } else if name.contains("browser") {
        &["Chrome", "Safari", "Firefox", "Edge"]
    } else if name.contains("device") {
        &["mobile", "desktop", "tablet"]
    } else if name.contains("channel") || name.contains("source") {
        &["web", "app", "email", "partner", "store"]
    } else if name.contains("gender") {
        &["female", "male", "non-binary"]
    } else if name.ends_with("type") || name.ends_with("kind") || name.contains("tier") || name.contains("plan") {
        &["standard", "premium", "basic"]
    } else {
        return None;
    };
    Some(list.iter().map(|s| Value::from(*s)).collect())
}

/// Draws a rank in `1..=space` with the given distribution.
pub(crate) fn draw_key(rng: &mut Xoshiro256PlusPlus, space: u64, distribution: &Distribution) -> u64 {
    match distribution {
        Distribution::Zipf(cumulative) => {
            let u: f64 = rng.random::<f64>() * cumulative.last().copied().unwrap_or(1.0);
            cumulative.partition_point(|c| *c < u) as u64 + 1
        }
        Distribution::Normal => {
            let x = normal(rng, (space as f64 + 1.0) / 2.0, space as f64 / 6.0);
            (x.round() as u64).clamp(1, space)
        }
        Distribution::Uniform => rng.random_range(1..=space),
    }
}

/// Cumulative Zipf weights over ranks `1..=n` (1/k^s).
pub(crate) fn zipf_table(n: u64, exponent: f64) -> Arc<[f64]> {
    let mut total = 0.0;
    (1..=n.min(10_000_000))
        .map(|k| {
            total += 1.0 / (k as f64).powf(exponent);
            total
        })
        .collect()
}

/// Box-Muller.
pub(crate) fn normal(rng: &mut Xoshiro256PlusPlus, mean: f64, sd: f64) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}
