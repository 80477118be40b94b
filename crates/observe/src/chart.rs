//! Server-side SVG line charts: one renderer for the HTML report and the live dashboard.
//! The SVG is meant to sit inline in HTML, which puts it in the SVG namespace by itself.
//!
//! Each chart carries what it draws as data attributes, so a reader (a test, a script) can
//! read back the values without reverse-engineering pixels: `data-chart` on the `<svg>`,
//! `data-series`, `data-x` and `data-y` (space-separated, `n/a` for a gap) on each series, and
//! `data-band`, `data-start` and `data-end` on each shaded phase band.

use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 34.0;
/// Colour-blind-safe series colours (Okabe and Ito).
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// What a chart's y axis counts, for its tick labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Records per second.
    PerSecond,
    Records,
    Milliseconds,
    Bytes,
    Percent,
}

impl Unit {
    /// A value formatted for an axis tick.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::PerSecond => format!("{}/s", si(value)),
            Unit::Records => si(value),
            Unit::Milliseconds if value >= 1000.0 => format!("{} s", trim(value / 1000.0)),
            Unit::Milliseconds => format!("{} ms", trim(value)),
            Unit::Bytes => bytes(value),
            Unit::Percent => format!("{}%", trim(value)),
        }
    }

    /// Ticks fall on round multiples of this: powers of 1024 for bytes, 1 otherwise.
    fn tick_scale(self, max: f64) -> f64 {
        match self {
            Unit::Bytes if max >= 1024.0 => 1024f64.powi((max.log2() / 10.0).floor() as i32),
            _ => 1.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Unit::PerSecond => "records/s",
            Unit::Records => "records",
            Unit::Milliseconds => "ms",
            Unit::Bytes => "bytes",
            Unit::Percent => "%",
        }
    }
}

/// A number with at most three significant decimals and no trailing zeros.
fn trim(value: f64) -> String {
    let text = if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

fn si(value: f64) -> String {
    match value.abs() {
        v if v >= 1e9 => format!("{}G", trim(value / 1e9)),
        v if v >= 1e6 => format!("{}M", trim(value / 1e6)),
        v if v >= 1e3 => format!("{}k", trim(value / 1e3)),
        _ => trim(value),
    }
}

fn bytes(value: f64) -> String {
    const KIB: f64 = 1024.0;
    match value.abs() {
        v if v >= KIB * KIB * KIB => format!("{} GiB", trim(value / (KIB * KIB * KIB))),
        v if v >= KIB * KIB => format!("{} MiB", trim(value / (KIB * KIB))),
        v if v >= KIB => format!("{} KiB", trim(value / KIB)),
        _ => format!("{} B", trim(value)),
    }
}

/// One line: `(x, y)` points in x order; `None` is a gap (not measured).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, Option<f64>)>,
    /// Drawn dashed, so a plan stays visible under the line that follows it.
    pub dashed: bool,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, Option<f64>)>) -> Self {
        Self {
            name: name.into(),
            points,
            dashed: false,
        }
    }

    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// A shaded stretch of the x axis, such as a traffic spike.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub start: f64,
    pub end: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Stable identifier, written as `data-chart`.
    pub id: String,
    pub title: String,
    pub unit: Unit,
    pub series: Vec<Series>,
    pub bands: Vec<Band>,
    /// The x axis spans at least `[0, x_min_span]` seconds (the planned duration).
    pub x_min_span: f64,
    /// Shown instead of lines when no series has a measured point.
    pub empty_note: String,
    /// What the x axis counts: `None` for seconds since the start of the load (the run's
    /// charts), a unit and a caption otherwise (a capacity search's rate per step).
    pub x_axis: Option<(Unit, String)>,
}

impl LineChart {
    pub fn new(id: impl Into<String>, title: impl Into<String>, unit: Unit) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            unit,
            series: Vec::new(),
            bands: Vec::new(),
            x_min_span: 0.0,
            empty_note: "n/a: nothing measured yet".into(),
            x_axis: None,
        }
    }

    /// An x axis that counts `unit` rather than seconds.
    pub fn x_axis(mut self, unit: Unit, caption: impl Into<String>) -> Self {
        self.x_axis = Some((unit, caption.into()));
        self
    }

    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    pub fn bands(mut self, bands: Vec<Band>) -> Self {
        self.bands = bands;
        self
    }

    pub fn x_span(mut self, seconds: f64) -> Self {
        self.x_min_span = seconds;
        self
    }

    pub fn empty_note(mut self, note: impl Into<String>) -> Self {
        self.empty_note = note.into();
        self
    }

    fn measured(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.series
            .iter()
            .flat_map(|s| s.points.iter().filter_map(|(x, y)| y.map(|y| (*x, y))))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }

    /// The chart as a standalone `<svg>` element.
    pub fn to_svg(&self) -> String {
        let x_max = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|(x, _)| *x))
            .chain(self.bands.iter().map(|b| b.end))
            .fold(self.x_min_span, f64::max)
            .max(1.0);
        let y_top = self.measured().map(|(_, y)| y).fold(0.0, f64::max);
        let has_data = self.measured().next().is_some();
        // Counts get whole-number ticks.
        let y_top = match self.unit {
            Unit::PerSecond | Unit::Records => y_top.max(4.0),
            _ => y_top,
        };
        let scale = self.unit.tick_scale(y_top);
        let y_ticks: Vec<f64> = nice_ticks(y_top / scale).into_iter().map(|t| t * scale).collect();
        let y_max = *y_ticks.last().unwrap_or(&1.0);
        let x_ticks = nice_ticks(x_max);
        let x_max = x_max.max(*x_ticks.last().unwrap_or(&1.0));
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let sx = |x: f64| LEFT + x / x_max * plot_w;
        let sy = |y: f64| TOP + plot_h - y / y_max * plot_h;

        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{title}" data-chart="{id}" data-unit="{unit}" data-empty="{empty}">"#,
            title = escape(&self.title),
            id = escape(&self.id),
            unit = self.unit.name(),
            empty = !has_data,
        );
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="16" font-size="13" font-weight="600" fill="#222">{}</text>"##,
            escape(&self.title)
        );
        for band in &self.bands {
            let (x0, x1) = (sx(band.start.max(0.0)), sx(band.end.min(x_max)));
            let _ = write!(
                svg,
                r##"<g class="band" data-band="{label}" data-start="{start}" data-end="{end}"><rect x="{x0:.1}" y="{TOP}" width="{w:.1}" height="{plot_h}" fill="#F5C26B" fill-opacity="0.28"/><text x="{tx:.1}" y="{ty}" font-size="10" fill="#8a5a00">{label}</text></g>"##,
                label = escape(&band.label),
                start = number(band.start),
                end = number(band.end),
                w = (x1 - x0).max(0.0),
                tx = x0 + 3.0,
                ty = TOP + 11.0,
            );
        }
        // Axes and grid.
        for tick in &y_ticks {
            let y = sy(*tick);
            let _ = write!(
                svg,
                r##"<line x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#e4e4e4"/><text x="{tx}" y="{ty:.1}" font-size="10" text-anchor="end" fill="#555">{label}</text>"##,
                x2 = WIDTH - RIGHT,
                tx = LEFT - 6.0,
                ty = y + 3.5,
                label = escape(&self.unit.format(*tick)),
            );
        }
        for tick in &x_ticks {
            let x = sx(*tick);
            let _ = write!(
                svg,
                r##"<line x1="{x:.1}" x2="{x:.1}" y1="{y1}" y2="{y2}" stroke="#999"/><text x="{x:.1}" y="{ty}" font-size="10" text-anchor="middle" fill="#555">{label}</text>"##,
                y1 = TOP + plot_h,
                y2 = TOP + plot_h + 4.0,
                ty = TOP + plot_h + 16.0,
                label = escape(&match &self.x_axis {
                    Some((unit, _)) => unit.format(*tick),
                    None => format!("{}s", trim(*tick)),
                }),
            );
        }
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{b}" stroke="#999"/><line x1="{LEFT}" x2="{r}" y1="{b}" y2="{b}" stroke="#999"/><text x="{cx}" y="{ly}" font-size="10" text-anchor="middle" fill="#555">{caption}</text>"##,
            caption = escape(
                self.x_axis
                    .as_ref()
                    .map_or("time since the start of the load", |(_, c)| c)
            ),
            b = TOP + plot_h,
            r = WIDTH - RIGHT,
            cx = LEFT + plot_w / 2.0,
            ly = HEIGHT - 4.0,
        );
        if !has_data {
            let _ = write!(
                svg,
                r##"<text class="na" x="{cx}" y="{cy}" font-size="13" text-anchor="middle" fill="#777">{note}</text>"##,
                cx = LEFT + plot_w / 2.0,
                cy = TOP + plot_h / 2.0,
                note = escape(&self.empty_note),
            );
        }
        // Series, then the legend above the plot.
        let mut legend_x = LEFT;
        for (index, series) in self.series.iter().enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            let xs: Vec<String> = series.points.iter().map(|(x, _)| number(*x)).collect();
            let ys: Vec<String> = series
                .points
                .iter()
                .map(|(_, y)| y.map_or("n/a".to_string(), number))
                .collect();
            let _ = write!(
                svg,
                r#"<g class="series" data-series="{name}" data-x="{xs}" data-y="{ys}" stroke="{colour}" fill="{colour}">"#,
                name = escape(&series.name),
                xs = xs.join(" "),
                ys = ys.join(" "),
            );
            for run in measured_runs(&series.points) {
                if run.len() == 1 {
                    let (x, y) = run[0];
                    let _ = write!(svg, r#"<circle cx="{:.1}" cy="{:.1}" r="2"/>"#, sx(x), sy(y));
                } else {
                    let points: Vec<String> = run
                        .iter()
                        .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
                        .collect();
                    let dash = if series.dashed {
                        r#" stroke-dasharray="6 4""#
                    } else {
                        ""
                    };
                    let _ = write!(
                        svg,
                        r#"<polyline fill="none" stroke-width="1.6"{dash} points="{}"/>"#,
                        points.join(" ")
                    );
                }
            }
            svg.push_str("</g>");
            let _ = write!(
                svg,
                r##"<rect x="{legend_x:.1}" y="22" width="10" height="4" fill="{colour}"/><text x="{tx:.1}" y="28" font-size="10" fill="#333">{name}</text>"##,
                tx = legend_x + 13.0,
                name = escape(&series.name),
            );
            legend_x += 22.0 + 6.0 * series.name.chars().count() as f64;
        }
        let _ = write!(
            svg,
            r##"<text x="{x}" y="28" font-size="10" text-anchor="end" fill="#777">{unit}</text></svg>"##,
            x = WIDTH - RIGHT,
            unit = self.unit.name(),
        );
        svg
    }
}

/// Consecutive measured points, split at gaps.
fn measured_runs(points: &[(f64, Option<f64>)]) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for (x, y) in points {
        match y {
            Some(y) if y.is_finite() && x.is_finite() => runs.last_mut().expect("one run").push((*x, *y)),
            _ => runs.push(Vec::new()),
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// Ticks from 0 to at least `max` in steps of 1, 2, 2.5 or 5 times a power of ten.
pub fn nice_ticks(max: f64) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let rough = max / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    let count = (max / step).ceil() as usize;
    (0..=count).map(|i| i as f64 * step).collect()
}

/// A value as data: integers without a decimal point, others as Rust prints them.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"))
    }

    fn chart() -> LineChart {
        LineChart::new("rate", "Target vs achieved <rate>", Unit::PerSecond)
            .series(Series::new(
                "target",
                vec![(0.0, Some(200.0)), (1.0, Some(600.0)), (2.0, Some(200.0))],
            ))
            .series(Series::new(
                "achieved & acked",
                vec![(0.0, Some(199.0)), (1.0, None), (2.0, Some(201.5))],
            ))
            .bands(vec![Band {
                start: 1.0,
                end: 2.0,
                label: "300%".into(),
            }])
            .x_span(3.0)
    }

    #[test]
    fn the_svg_is_xml_and_holds_the_points_and_bands_it_was_given() {
        let svg = chart().to_svg();
        let doc = parse(&svg);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("data-chart"), Some("rate"));
        assert_eq!(root.attribute("data-empty"), Some("false"));
        let series: Vec<_> = doc.descendants().filter(|n| n.has_attribute("data-series")).collect();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].attribute("data-series"), Some("target"));
        assert_eq!(series[0].attribute("data-x"), Some("0 1 2"));
        assert_eq!(series[0].attribute("data-y"), Some("200 600 200"));
        assert_eq!(series[1].attribute("data-series"), Some("achieved & acked"));
        assert_eq!(series[1].attribute("data-y"), Some("199 n/a 201.5"));
        // The gap splits the second series into two single points.
        assert_eq!(series[1].children().filter(|n| n.has_tag_name("circle")).count(), 2);
        assert_eq!(series[0].children().filter(|n| n.has_tag_name("polyline")).count(), 1);
        let band = doc.descendants().find(|n| n.has_attribute("data-band")).unwrap();
        assert_eq!(band.attribute("data-band"), Some("300%"));
        assert_eq!(band.attribute("data-start"), Some("1"));
        assert_eq!(band.attribute("data-end"), Some("2"));
        let title = doc.descendants().find(|n| n.has_tag_name("text")).unwrap();
        assert_eq!(title.text(), Some("Target vs achieved <rate>"));
    }

    #[test]
    fn points_land_inside_the_plot_and_higher_values_higher() {
        let svg = chart().to_svg();
        let doc = parse(&svg);
        let line = doc.descendants().find(|n| n.has_tag_name("polyline")).unwrap();
        let points: Vec<(f64, f64)> = line
            .attribute("points")
            .unwrap()
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(points.len(), 3);
        for (x, y) in &points {
            assert!((LEFT..=WIDTH - RIGHT).contains(x), "{x}");
            assert!((TOP..=HEIGHT - BOTTOM).contains(y), "{y}");
        }
        assert!(points[1].1 < points[0].1, "600/s is drawn above 200/s: {points:?}");
        assert!(points[0].0 < points[1].0 && points[1].0 < points[2].0);
    }

    #[test]
    fn a_chart_without_measurements_says_na() {
        let svg = LineChart::new("cp", "Checkpoints", Unit::Milliseconds)
            .series(Series::new("last checkpoint", vec![(0.0, None), (1.0, None)]))
            .empty_note("n/a: the embedded engine takes no checkpoints")
            .to_svg();
        let doc = parse(&svg);
        assert_eq!(doc.root_element().attribute("data-empty"), Some("true"));
        let note = doc.descendants().find(|n| n.attribute("class") == Some("na")).unwrap();
        assert_eq!(note.text(), Some("n/a: the embedded engine takes no checkpoints"));
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("polyline")).count(), 0);
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(nice_ticks(600.0), vec![0.0, 200.0, 400.0, 600.0]);
        assert_eq!(nice_ticks(20.0), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(nice_ticks(0.0), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let ticks = nice_ticks(1234.0);
        assert!(*ticks.last().unwrap() >= 1234.0 && ticks.len() <= 6, "{ticks:?}");
    }

    #[test]
    fn tick_labels_carry_their_unit() {
        assert_eq!(Unit::PerSecond.format(1500.0), "1.5k/s");
        assert_eq!(Unit::Milliseconds.format(2.5), "2.5 ms");
        assert_eq!(Unit::Milliseconds.format(2500.0), "2.5 s");
        assert_eq!(Unit::Bytes.format(64.0 * 1024.0 * 1024.0), "64 MiB");
        assert_eq!(Unit::Percent.format(50.0), "50%");
    }

    #[test]
    fn byte_ticks_fall_on_round_binary_sizes() {
        let svg = LineChart::new("memory", "Memory", Unit::Bytes)
            .series(Series::new("rss", vec![(0.0, Some(110.0 * 1024.0 * 1024.0))]))
            .to_svg();
        for label in ["0 B", "50 MiB", "100 MiB", "150 MiB"] {
            assert!(svg.contains(&format!(">{label}<")), "{label} missing: {svg}");
        }
    }
}
