//! The command line, as the CLI contract in the design notes gives it.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "pipegen",
    about = "Scaffold, load-test and measure streaming pipelines built from Kafka topics and Flink SQL.",
    long_about = "pipegen scaffolds a pipeline project (AVRO schemas, Flink SQL, tuned config), runs it under \
                  realistic synthetic load at exact rates, measures it honestly and reports what happened. \
                  It runs on a laptop with nothing else installed (the embedded stack) and on real Kafka \
                  and Flink clusters.",
    disable_version_flag = true,
    propagate_version = false
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file layered over the user's and the project's .pipegen.yaml.
    #[arg(long, global = true, value_name = "FILE", value_parser = PathArg)]
    pub config: Option<PathBuf>,

    /// The project directory (holds .pipegen.yaml, schemas/, sql/).
    #[arg(long, global = true, value_name = "DIR", default_value = ".", value_parser = PathArg)]
    pub project_dir: PathBuf,

    /// Kafka bootstrap servers (host:port,...); unset means the embedded log.
    #[arg(long, global = true, value_name = "HOST:PORT")]
    pub bootstrap_servers: Option<String>,

    /// A Confluent-compatible schema registry; unset means the embedded one.
    #[arg(long, global = true, value_name = "URL")]
    pub schema_registry_url: Option<String>,

    /// Flink's REST API (JobManager), e.g. http://localhost:8081.
    #[arg(long, global = true, value_name = "URL")]
    pub flink_url: Option<String>,

    /// Flink's SQL Gateway; derived from --flink-url when unset.
    #[arg(long, global = true, value_name = "URL")]
    pub sql_gateway_url: Option<String>,

    /// More detail (repeat for debug logs).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a pipeline project that works as generated.
    Init(InitArgs),
    /// Check the project: SQL, schemas, config, and optionally connectivity.
    Validate(ValidateArgs),
    /// Run the pipeline under synthetic load and write a report.
    Run(Box<RunArgs>),
    /// Run the benchmark scenarios of the config's `benchmark` section (`--config benchmark.yaml`
    /// layers a file holding them over the project's), each a full run, then compare them.
    Bench(BenchArgs),
    /// Run Flink SQL on the embedded engine (like Flink's SQL client).
    Sql(SqlArgs),
    /// Report the health of every configured part.
    Check(CheckArgs),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Serve the live dashboard.
    Dashboard(DashboardArgs),
    /// Put the pipeline on the configured Kafka and Flink clusters to stay (its topics, source
    /// schemas and SQL jobs, recorded in .pipegen/deployment.json), or write it as a Docker
    /// Compose stack or Kubernetes manifests (--target).
    Deploy(DeployArgs),
    /// Remove what `pipegen deploy` made: cancel its jobs, delete its topics and subjects
    /// (never what was there before), and take down the compose stack it started.
    Clean,
    /// Print the version and the git commit it was built from.
    Version,
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project's name; also the directory created (a letter, then letters, digits, - or _).
    #[arg(value_parser = PathArg)]
    pub name: PathBuf,
    /// Derive the project from this AVRO schema (.avsc).
    #[arg(long, value_name = "FILE.avsc", value_parser = PathArg)]
    pub input_schema: Option<PathBuf>,
    /// Derive the schema and a filesystem source from this CSV file.
    #[arg(long, value_name = "FILE.csv", conflicts_with = "input_schema", value_parser = PathArg)]
    pub input_csv: Option<PathBuf>,
    /// Describe the pipeline in words: a language model drafts the project (the `ai` config
    /// section, or PIPEGEN_OLLAMA_MODEL / PIPEGEN_OPENAI_API_KEY and PIPEGEN_OPENAI_MODEL), and
    /// only a draft that passes `pipegen validate` is written.
    #[arg(long, value_name = "TEXT")]
    pub describe: Option<String>,
    /// The business domain, for --describe (e.g. e-commerce, IoT, payments).
    #[arg(long, value_name = "DOMAIN", requires = "describe")]
    pub domain: Option<String>,
    /// With --describe: keep the model's last draft in DIR (its answer, the findings, the
    /// project it would have written), also when it did not validate.
    #[arg(long, value_name = "DIR", requires = "describe", value_parser = PathArg)]
    pub keep_draft: Option<PathBuf>,
    /// The built-in starting point: default (order statistics per window), dedup (each
    /// customer's first order per window), topn (top products per window) or enrichment
    /// (orders joined with a PostgreSQL table).
    #[arg(long, value_name = "NAME", default_value = "default", value_parser = clap::builder::PossibleValuesParser::new(pipegen_project::scaffold::Template::NAMES), conflicts_with_all = ["input_schema", "input_csv", "describe"])]
    pub template: String,
    /// Write into an existing directory, replacing the files pipegen generates.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Also connect to every configured service (Kafka, registry, Flink, SQL Gateway).
    #[arg(long)]
    pub check_connectivity: bool,
    /// Timeout for each connectivity check.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub connect_timeout: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Base rate in messages per second (fractions allowed), or `max`.
    #[arg(long, visible_alias = "rate", value_name = "RATE")]
    pub message_rate: Option<String>,
    /// Send this many messages. Without --duration the run lasts until they are sent (a
    /// duration from a config file does not cut them short); with it, whichever comes first.
    #[arg(long, value_name = "N")]
    pub messages: Option<u64>,
    /// How long to produce, e.g. 30s, 5m, 1h30m.
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Rate changes: `30s-60s:300%,90s-120s:200%` or `0:1000,300:10000`.
    #[arg(long, value_name = "PATTERN")]
    pub traffic_pattern: Option<String>,
    /// Stop once this many output records were consumed.
    #[arg(long, value_name = "N")]
    pub expected_messages: Option<u64>,
    /// How long the pipeline gets, once the load has ended, to deliver its results.
    #[arg(long, value_name = "DURATION")]
    pub pipeline_timeout: Option<String>,
    /// Delete what the run created when it ends.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub cleanup: Option<bool>,
    /// Print the plan and the backends, and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// Serve the live dashboard while the run goes.
    #[arg(long)]
    pub dashboard: bool,
    /// Port of the live dashboard.
    #[arg(long, value_name = "PORT")]
    pub dashboard_port: Option<u16>,
    /// Where reports are written (relative to the project directory).
    #[arg(long, value_name = "DIR", value_parser = PathArg)]
    pub reports_dir: Option<PathBuf>,
    /// Seed for the data generator (same seed, same data).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Which SQL engine runs the pipeline.
    #[arg(long, value_enum)]
    pub engine: Option<EngineArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EngineArg {
    Embedded,
    Flink,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Run only this scenario.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Print each scenario's rate plan and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Search for the highest rate the pipeline sustains (`benchmark.find_max`) instead of
    /// running the scenarios.
    #[arg(long, conflicts_with = "scenario")]
    pub find_max: bool,
    /// The search's first rate (benchmark.find_max.start_rate).
    #[arg(long, value_name = "RATE", requires = "find_max")]
    pub start_rate: Option<String>,
    /// The search's highest rate (benchmark.find_max.max_rate).
    #[arg(long, value_name = "RATE", requires = "find_max")]
    pub max_rate: Option<String>,
    /// Each step's length (benchmark.find_max.step_duration).
    #[arg(long, value_name = "DURATION", requires = "find_max")]
    pub step_duration: Option<String>,
    /// The start of each step left unjudged (benchmark.find_max.warmup).
    #[arg(long, value_name = "DURATION", requires = "find_max")]
    pub warmup: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Where the pipeline goes: the configured Kafka and Flink clusters, a Docker Compose stack
    /// written to deploy/compose (and started when Docker is there), or Kubernetes manifests
    /// written to deploy/kubernetes (a kustomization for the Flink operator and Strimzi).
    #[arg(long, value_enum, default_value = "clusters")]
    pub target: DeployTarget,
    /// The Kubernetes namespace (default: deploy.namespace, else the pipeline's name).
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Clusters: say what would be created and started, reading the clusters only. Compose and
    /// Kubernetes: write the files and print what they hold, starting nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Kubernetes: `kubectl apply -k` the written kustomization in kubectl's current context.
    #[arg(long, conflicts_with = "dry_run")]
    pub apply: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeployTarget {
    Clusters,
    Compose,
    Kubernetes,
}

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// Read statements from this file (default: standard input or a prompt).
    #[arg(short = 'f', long = "file", value_name = "FILE", value_parser = PathArg)]
    pub file: Option<PathBuf>,
    /// How results are printed.
    #[arg(long, value_enum, default_value = "table")]
    pub format: SqlFormat,
    /// The most a query may hold in memory (e.g. 512mb, 4gb); default embedded.memory_budget.
    #[arg(long, value_name = "SIZE")]
    pub memory_budget: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SqlFormat {
    Table,
    Json,
    Changelog,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Refresh in place (with --json: one JSON line per refresh). `-v/--verbose` adds each
    /// Flink job's vertices and last checkpoint.
    #[arg(long)]
    pub watch: bool,
    /// Refresh interval with --watch.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub interval: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration and where each value came from (secrets redacted).
    Show,
}

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Serve without a run: replay a JSON result (the newest in the reports dir unless --result
    /// names one). A live run serves its own dashboard with `pipegen run --dashboard`.
    #[arg(long)]
    pub standalone: bool,
    /// The JSON result to replay (implies --standalone).
    #[arg(long, value_name = "FILE", value_parser = PathArg)]
    pub result: Option<PathBuf>,
    /// Which views to show, e.g. throughput,latency.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub metrics: Vec<String>,
    /// Port to listen on (127.0.0.1 unless dashboard.bind_address says otherwise).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
}

/// A path argument. An empty one (often an unset shell variable) is refused naming the option,
/// where clap would say that no value was supplied.
#[derive(Debug, Clone, Copy)]
pub struct PathArg;

impl TypedValueParser for PathArg {
    type Value = PathBuf;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &OsStr) -> Result<PathBuf, clap::Error> {
        if value.is_empty() {
            let option = arg.map_or_else(|| "the path".to_owned(), ToString::to_string);
            return Err(cmd.clone().error(
                ErrorKind::InvalidValue,
                format!("{option} was given an empty path (an unset shell variable?)"),
            ));
        }
        Ok(PathBuf::from(value))
    }
}
