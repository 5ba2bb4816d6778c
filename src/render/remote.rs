//! Remote images downloaded into the package when the author asks (`--download-images`):
//! bounded per file, in total and in time, and packed only if their first bytes are an image's,
//! as local media is. A remote image that is not downloaded becomes a link to it.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

/// How much downloading a build may do.
/// The largest image packed into a deck, downloaded or local ([`super::media`] reads local
/// files up to it too). Defined here, the lower module, so that media can use the downloader
/// without the downloader using media.
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;

/// Names a downloaded file by its content (`None`: not an image); the media collector gives
/// the downloader its own rule, so that names agree with those of local files.
pub(crate) type NameByContent = fn(&[u8]) -> Option<String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadLimits {
    /// The largest image downloaded (as for local files, [`MAX_IMAGE_BYTES`]).
    pub per_file: u64,
    /// The most bytes downloaded by one build.
    pub total: u64,
    /// The longest one download may take, connecting included.
    pub per_image: Duration,
    /// The longest all downloads of a build may take together.
    pub overall: Duration,
}

impl Default for DownloadLimits {
    fn default() -> Self {
        DownloadLimits {
            per_file: MAX_IMAGE_BYTES,
            total: 100 << 20,
            per_image: Duration::from_secs(20),
            overall: Duration::from_secs(120),
        }
    }
}

impl DownloadLimits {
    /// The defaults, with the time per image from `DECKFORGE_DOWNLOAD_TIMEOUT` (seconds) when
    /// it is a number: a slow network needs more, a test less.
    pub fn from_env() -> Self {
        let mut limits = DownloadLimits::default();
        if let Some(seconds) = std::env::var("DECKFORGE_DOWNLOAD_TIMEOUT")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
        {
            limits.per_image = Duration::from_secs_f64(seconds.min(3600.0));
        }
        limits
    }
}

/// The downloads of one build: each URL fetched once, its bytes kept for the package.
pub(crate) struct Downloader {
    agent: ureq::Agent,
    limits: DownloadLimits,
    name: NameByContent,
    downloaded: u64,
    started: Option<Instant>,
    /// URL → packed name, or why it was not packed.
    done: HashMap<String, Result<String, String>>,
}

/// A downloaded image: its packed name and bytes.
pub(crate) struct Downloaded {
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
}

impl Downloader {
    pub(crate) fn new(limits: DownloadLimits, name: NameByContent) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(limits.per_image))
            .timeout_connect(Some(limits.per_image.min(Duration::from_secs(10))))
            .max_redirects(5)
            .http_status_as_error(false)
            .user_agent(concat!("deckforge/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Downloader {
            agent,
            limits,
            name,
            downloaded: 0,
            started: None,
            done: HashMap::new(),
        }
    }

    /// The packed name of the image at `url`, downloading it the first time (`Ok(Some)` with
    /// its bytes then, `Ok(None)` with the name known already), or why it cannot be packed.
    pub(crate) fn fetch(&mut self, url: &str) -> Result<(String, Option<Vec<u8>>), String> {
        if let Some(known) = self.done.get(url) {
            return known.clone().map(|name| (name, None));
        }
        let result = self.download(url);
        self.done.insert(
            url.to_string(),
            result
                .as_ref()
                .map(|d| d.name.clone())
                .map_err(Clone::clone),
        );
        result.map(|d| (d.name, Some(d.data)))
    }

    fn download(&mut self, url: &str) -> Result<Downloaded, String> {
        let started = *self.started.get_or_insert_with(Instant::now);
        if started.elapsed() >= self.limits.overall {
            return Err(format!(
                "not downloaded: the build's downloads took {} s already",
                self.limits.overall.as_secs()
            ));
        }
        let left = self.limits.total.saturating_sub(self.downloaded);
        if left == 0 {
            return Err(format!(
                "not downloaded: the build downloaded {} bytes already, its limit",
                self.limits.total
            ));
        }
        let response = self.agent.get(url).call().map_err(|e| match e {
            ureq::Error::Timeout(_) => format!(
                "took longer than {} s to download",
                self.limits.per_image.as_secs_f64()
            ),
            other => format!("could not be downloaded ({other})"),
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!(
                "could not be downloaded: the server answered {status}"
            ));
        }
        let cap = self.limits.per_file.min(left);
        let too_big = |size: u64| {
            if cap < self.limits.per_file {
                format!("is {size} bytes, past what the build may still download ({cap})")
            } else {
                format!("is {size} bytes, more than the {cap}-byte limit")
            }
        };
        if let Some(size) = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&size| size > cap)
        {
            return Err(too_big(size));
        }
        let mut data = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(cap + 1)
            .read_to_end(&mut data)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::TimedOut => format!(
                    "took longer than {} s to download",
                    self.limits.per_image.as_secs_f64()
                ),
                _ => format!("could not be downloaded ({e})"),
            })?;
        if data.len() as u64 > cap {
            return Err(too_big(data.len() as u64));
        }
        self.downloaded += data.len() as u64;
        let Some(name) = (self.name)(&data) else {
            return Err(
                "is not an image (PNG, JPEG, GIF, WebP, BMP, AVIF or SVG) by its content"
                    .to_string(),
            );
        };
        Ok(Downloaded { name, data })
    }
}
