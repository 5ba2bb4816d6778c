//! `DECKFORGE_TIMINGS=1`: a timeline of a build's stages on stderr, for tuning its speed (README
//! "Performance"). It reads nothing but the library's progress reports, and the process's CPU
//! time beside each, so a stage's CPU over its wall time shows how many cores it kept busy.

use std::sync::Mutex;
use std::time::Instant;

use deckforge::build::{Progress, Stage};

/// When a stage was first and last reported, with the process's CPU time then.
struct Span {
    stage: Stage,
    first: (f64, f64),
    last: (f64, f64),
}

/// The stages seen so far, in order; `None` unless `DECKFORGE_TIMINGS` is set.
pub(crate) struct Timings {
    started: Instant,
    spans: Mutex<Vec<Span>>,
}

impl Timings {
    pub(crate) fn from_env() -> Option<Self> {
        std::env::var_os("DECKFORGE_TIMINGS")
            .filter(|v| !v.is_empty() && v != "0")
            .map(|_| Timings {
                started: {
                    cpu_at_start();
                    Instant::now()
                },
                spans: Mutex::new(Vec::new()),
            })
    }

    fn now(&self) -> (f64, f64) {
        (self.started.elapsed().as_secs_f64(), cpu_seconds())
    }

    pub(crate) fn report(&self, progress: Progress) {
        let now = self.now();
        let mut spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        match spans.last_mut() {
            Some(span) if span.stage == progress.stage => span.last = now,
            _ => spans.push(Span {
                stage: progress.stage,
                first: now,
                last: now,
            }),
        }
    }

    /// Prints each stage from its first report to the next stage's (the last to the end): its
    /// wall and CPU seconds and the cores it kept busy on average.
    pub(crate) fn print(&self) {
        let end = self.now();
        let spans = self.spans.lock().unwrap_or_else(|e| e.into_inner());
        eprintln!("timings: stage, from s, wall s, cpu s, cores (cpu / wall)");
        let mut from = (0.0, cpu_at_start());
        let mut rows: Vec<(String, (f64, f64))> = vec![("starting".into(), (0.0, 0.0))];
        for span in spans.iter() {
            rows.push((format!("{:?}", span.stage).to_lowercase(), span.first));
            if span.last != span.first {
                rows.push((format!("{:?} tail", span.stage).to_lowercase(), span.last));
            }
        }
        rows.push(("end".into(), end));
        for pair in rows.windows(2) {
            let (name, at) = (&pair[0].0, pair[1].1);
            let (wall, cpu) = (at.0 - from.0, at.1 - from.1);
            eprintln!(
                "timings: {name:<16} {:>7.3} {wall:>7.3} {cpu:>7.3} {:>5.2}",
                from.0,
                cpu / wall.max(1e-9)
            );
            from = at;
        }
        eprintln!(
            "timings: total            {:>7.3} {:>7.3} {:>7.3}",
            0.0,
            end.0,
            end.1 - cpu_at_start()
        );
    }
}

/// The CPU time this process had used when the timings started: the binary's start-up.
fn cpu_at_start() -> f64 {
    static AT_START: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *AT_START.get_or_init(cpu_seconds)
}

/// User and system CPU seconds of the whole process so far, from `/proc/self/stat` (Linux); 0
/// where it cannot be read, which leaves the wall times.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name (which may hold spaces) are space-separated; utime and
    // stime are the 14th and 15th, in clock ticks of (almost everywhere) 1/100 s.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => 0.0,
    }
}
