//! Output: records laid out as CloudTrail delivers them to S3 (gzipped `{"Records":[...]}`
//! files under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`), or as JSON lines
//! (optionally gzipped) to a file or stdout.
//!
//! Generation and compression overlap: the calling thread generates, a second thread
//! compresses and writes, so two cores are both busy. The bytes written do not depend on
//! the scheduling.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use flate2::write::GzEncoder;
use flate2::Compression;
use rand::SeedableRng;

use super::{ids, Generator, Rng8};

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub events: u64,
    pub files: u64,
    /// Bytes on disk (compressed where the output is).
    pub bytes: u64,
    /// Bytes of record JSON, before compression and framing.
    pub json_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    pub path: String,
    #[source]
    pub source: io::Error,
}

/// Buffers handed to the writer thread at a time; bounds memory to a few files' worth.
const QUEUE: usize = 8;
/// Level 1: the fastest gzip, a third larger than the default level but several times faster.
const LEVEL: u32 = 1;

/// Writes `events` records in the CloudTrail S3 layout under `dir`, `per_file` records per
/// file (each file holds one account's records for one region, as CloudTrail's do).
///
/// # Errors
/// A folder or file cannot be created or written.
pub fn write_s3(
    generator: &mut Generator,
    events: u64,
    dir: &Path,
    per_file: usize,
) -> Result<WriteSummary, WriteError> {
    let per_file = per_file.max(1);
    // File name tails come from their own stream so they do not shift the records.
    let mut names = Rng8::seed_from_u64(generator.seed() ^ 0x5333_5f6e_616d_6573);
    let (sender, receiver) = mpsc::sync_channel::<(PathBuf, Vec<u8>)>(QUEUE);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(u64, u64), WriteError> {
            let (mut files, mut bytes) = (0, 0);
            for (path, body) in receiver {
                let fail = |source| WriteError { path: path.display().to_string(), source };
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(fail)?;
                }
                let mut gz = GzEncoder::new(Vec::with_capacity(body.len() / 6), Compression::new(LEVEL));
                gz.write_all(&body).map_err(fail)?;
                let compressed = gz.finish().map_err(fail)?;
                std::fs::write(&path, &compressed).map_err(fail)?;
                files += 1;
                bytes += compressed.len() as u64;
            }
            Ok((files, bytes))
        });
        let mut open: BTreeMap<(u16, &'static str), (Vec<u8>, usize)> = BTreeMap::new();
        let mut record = Vec::with_capacity(4096);
        let mut json_bytes = 0u64;
        let mut send_failed = false;
        for _ in 0..events {
            record.clear();
            let meta = generator.next_into(&mut record);
            json_bytes += record.len() as u64;
            let (buf, count) = open.entry((meta.account, meta.region)).or_insert_with(|| (Vec::new(), 0));
            if buf.is_empty() {
                buf.reserve(per_file * 1600);
                buf.extend_from_slice(b"{\"Records\":[");
            } else {
                buf.push(b',');
            }
            buf.extend_from_slice(&record);
            *count += 1;
            if *count == per_file {
                let body = finish(buf, count);
                let path =
                    file_path(dir, generator.account_id(meta.account), meta.region, meta.time, &mut names);
                send_failed |= sender.send((path, body)).is_err();
            }
            if send_failed {
                break;
            }
        }
        // Partly filled files, delivered at the end, in a fixed order.
        let end_time = generator.now();
        for ((account, region), (buf, count)) in open.iter_mut() {
            if *count > 0 && !send_failed {
                let body = finish(buf, count);
                let path = file_path(dir, generator.account_id(*account), region, end_time, &mut names);
                send_failed |= sender.send((path, body)).is_err();
            }
        }
        drop(sender);
        let (files, bytes) = writer.join().expect("the writer thread does not panic")?;
        Ok(WriteSummary { events, files, bytes, json_bytes })
    })
}

fn finish(buf: &mut Vec<u8>, count: &mut usize) -> Vec<u8> {
    buf.extend_from_slice(b"]}");
    *count = 0;
    std::mem::take(buf)
}

/// `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<random>.json.gz`,
/// stamped with the time of the file's last record (CloudTrail stamps the delivery time).
fn file_path(dir: &Path, account: &str, region: &str, time: i64, names: &mut Rng8) -> PathBuf {
    let stamp = super::iso_time(time);
    let (date, clock) = (&stamp[..10], &stamp[11..16]);
    let compact = format!("{}T{}Z", date.replace('-', ""), clock.replace(':', ""));
    dir.join("AWSLogs")
        .join(account)
        .join("CloudTrail")
        .join(region)
        .join(&date[..4])
        .join(&date[5..7])
        .join(&date[8..10])
        .join(format!("{account}_CloudTrail_{region}_{compact}_{}.json.gz", ids::alnum(names, 16)))
}

/// Writes `events` records as JSON lines to `out` (a file path, or `-` for stdout), gzipped
/// when asked.
///
/// # Errors
/// The file cannot be created or written.
pub fn write_jsonl(
    generator: &mut Generator,
    events: u64,
    out: &Path,
    gzip: bool,
) -> Result<WriteSummary, WriteError> {
    let shown = out.display().to_string();
    let fail = |source| WriteError { path: shown.clone(), source };
    let sink: Box<dyn Write + Send> = if out.as_os_str() == "-" {
        Box::new(io::BufWriter::with_capacity(1 << 20, io::stdout()))
    } else {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        Box::new(io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out).map_err(fail)?))
    };
    let counted = Counting { inner: sink, bytes: 0 };
    let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<u64> {
            let mut sink: Box<dyn CountingWrite> = if gzip {
                Box::new(GzEncoder::new(counted, Compression::new(LEVEL)))
            } else {
                Box::new(counted)
            };
            for chunk in receiver {
                sink.write_all(&chunk)?;
            }
            sink.done()
        });
        const CHUNK: usize = 1 << 20;
        let mut chunk = Vec::with_capacity(CHUNK + 4096);
        let mut json_bytes = 0u64;
        for _ in 0..events {
            let before = chunk.len();
            generator.next_into(&mut chunk);
            json_bytes += (chunk.len() - before) as u64;
            chunk.push(b'\n');
            if chunk.len() >= CHUNK
                && sender.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK + 4096))).is_err()
            {
                break;
            }
        }
        if !chunk.is_empty() {
            let _ = sender.send(chunk);
        }
        drop(sender);
        let bytes = writer.join().expect("the writer thread does not panic").map_err(fail)?;
        Ok(WriteSummary { events, files: 1, bytes, json_bytes })
    })
}

/// A sink that counts what reaches the file, and finishes (gzip trailer, flush) on request.
trait CountingWrite: Write + Send {
    fn done(self: Box<Self>) -> io::Result<u64>;
}

struct Counting {
    inner: Box<dyn Write + Send>,
    bytes: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl CountingWrite for Counting {
    fn done(mut self: Box<Self>) -> io::Result<u64> {
        self.flush()?;
        Ok(self.bytes)
    }
}

impl CountingWrite for GzEncoder<Counting> {
    fn done(self: Box<Self>) -> io::Result<u64> {
        let mut inner = self.finish()?;
        inner.flush()?;
        Ok(inner.bytes)
    }
}
