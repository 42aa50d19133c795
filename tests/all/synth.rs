//! Tests: the synthetic CloudTrail generator — determinism, realism bounds (sizes, identity
//! types, read-only and error shares, suspicious share, role chains), and that both output
//! formats read back through `trailhound::sources` to exactly the records written.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;
use trailhound::sources::{self, Item};
use trailhound_synth::{self as synth, Generator, GeneratorOptions, Mix};

fn generator(seed: u64, share: f64) -> Generator {
    Generator::new(GeneratorOptions { seed, suspicious_share: share, ..GeneratorOptions::default() })
}

fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut g = generator(seed, 0.01);
    let mut out = Vec::new();
    for _ in 0..n {
        g.next_into(&mut out);
        out.push(b'\n');
    }
    out
}

/// 20,000 records of seed 42, as raw lines and parsed.
fn sample() -> &'static [(Vec<u8>, Value, bool)] {
    static SAMPLE: std::sync::OnceLock<Vec<(Vec<u8>, Value, bool)>> = std::sync::OnceLock::new();
    SAMPLE.get_or_init(|| {
        let mut g = generator(42, 0.01);
        (0..20_000)
            .map(|_| {
                let mut out = Vec::new();
                let meta = g.next_into(&mut out);
                let value = serde_json::from_slice(&out).expect("valid JSON");
                (out, value, meta.suspicious)
            })
            .collect()
    })
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let a = bytes(7, 5_000);
    assert_eq!(a, bytes(7, 5_000));
    assert_ne!(a, bytes(8, 5_000));
}

#[test]
fn every_record_normalizes() {
    for (raw, value, _) in sample() {
        if let Err(reason) = trailhound::normalize::event(&value.to_string()) {
            panic!("{reason}: {}", String::from_utf8_lossy(raw));
        }
    }
}

#[test]
fn records_are_between_half_a_kilobyte_and_three() {
    let sizes: Vec<usize> = sample().iter().map(|(raw, _, _)| raw.len()).collect();
    let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    let mean = sizes.iter().sum::<usize>() / sizes.len();
    assert!(*min >= 500 && *max <= 3072, "sizes from {min} to {max} bytes");
    assert!((900..=2000).contains(&mean), "mean size {mean} bytes");
}

#[test]
fn every_identity_type_appears() {
    let seen: HashSet<&str> =
        sample().iter().filter_map(|(_, v, _)| v["userIdentity"]["type"].as_str()).collect();
    for kind in [
        "Root",
        "IAMUser",
        "AssumedRole",
        "FederatedUser",
        "AWSService",
        "AWSAccount",
        "IdentityCenterUser",
        "SAMLUser",
        "WebIdentityUser",
        "Unknown",
    ] {
        assert!(seen.contains(kind), "no {kind} among {seen:?}");
    }
}

#[test]
fn read_only_calls_dominate_and_errors_are_a_few_percent() {
    let n = sample().len() as f64;
    let read_only = sample().iter().filter(|(_, v, _)| v["readOnly"] == true).count() as f64 / n;
    let errors = sample().iter().filter(|(_, v, _)| v.get("errorCode").is_some()).count() as f64 / n;
    // Stated in the mix and the error model: ~80% reads, ~4% errors.
    assert!((0.70..=0.90).contains(&read_only), "read-only share {read_only}");
    assert!((0.02..=0.07).contains(&errors), "error share {errors}");
}

#[test]
fn the_suspicious_share_is_as_configured() {
    for share in [0.0, 0.02, 0.1] {
        let mut g = generator(3, share);
        let mut out = Vec::new();
        let mut flagged = 0;
        let mut harmful = 0;
        for _ in 0..20_000 {
            out.clear();
            let meta = g.next_into(&mut out);
            flagged += usize::from(meta.suspicious);
            let v: Value = serde_json::from_slice(&out).unwrap();
            let name = v["eventName"].as_str().unwrap();
            harmful += usize::from(matches!(
                name,
                "StopLogging" | "DeleteTrail" | "PutBucketAcl" | "ModifySnapshotAttribute"
            ));
        }
        let got = flagged as f64 / 20_000.0;
        assert!((got - share).abs() <= share * 0.25 + 0.001, "share {share}: got {got}");
        if share >= 0.1 {
            assert!(harmful > 20, "share {share}: only {harmful} harmful calls");
        }
    }
}

#[test]
fn assumed_role_credentials_are_used_later_including_across_accounts() {
    let mut issued: HashMap<String, usize> = HashMap::new();
    let mut used_later = 0;
    let mut cross_account = 0;
    for (i, (_, v, _)) in sample().iter().enumerate() {
        if let Some(key) = v["responseElements"]["credentials"]["accessKeyId"].as_str() {
            if v["eventName"] == "AssumeRole" && v["userIdentity"]["type"] != "AWSService" {
                issued.insert(key.to_string(), i);
                let role_account = v["resources"][0]["accountId"].as_str().unwrap_or_default();
                cross_account += usize::from(role_account != v["recipientAccountId"].as_str().unwrap());
            }
        }
        if v["userIdentity"]["type"] == "AssumedRole" {
            let key = v["userIdentity"]["accessKeyId"].as_str().unwrap();
            used_later += usize::from(issued.get(key).is_some_and(|&at| at < i));
        }
    }
    assert!(used_later > 100, "only {used_later} records act with credentials an AssumeRole issued");
    assert!(cross_account > 10, "only {cross_account} cross-account hops");
}

fn read_back(path: &Path) -> (usize, usize) {
    let inputs = sources::expand(&[path.to_path_buf()]).unwrap().inputs;
    let (mut records, mut malformed) = (0, 0);
    for input in &inputs {
        sources::read(input, Default::default(), &mut |item| match item {
            Item::Record(_) => records += 1,
            Item::Malformed(m) => {
                malformed += 1;
                eprintln!("malformed: {} {}", m.origin, m.reason);
            }
        })
        .unwrap();
    }
    (records, malformed)
}

#[test]
fn the_s3_layout_reads_back_to_exactly_the_records_written() {
    let dir = tempfile::tempdir().unwrap();
    let summary = synth::write_s3(&mut generator(5, 0.01), 3_500, dir.path(), 200).unwrap();
    assert_eq!(summary.events, 3_500);
    assert_eq!(read_back(dir.path()), (3_500, 0));
    let files = sources::expand(&[dir.path().to_path_buf()]).unwrap().inputs;
    assert_eq!(files.len() as u64, summary.files);
    for input in files {
        let sources::Input::File(path) = input else { unreachable!() };
        let relative = path.strip_prefix(dir.path()).unwrap().to_string_lossy().to_string();
        let parts: Vec<&str> = relative.split('/').collect();
        assert_eq!((parts.len(), parts[0], parts[2]), (8, "AWSLogs", "CloudTrail"), "{relative}");
        let name = parts[7];
        let prefix = format!("{}_CloudTrail_{}_{}{}{}T", parts[1], parts[3], parts[4], parts[5], parts[6]);
        assert!(name.starts_with(&prefix) && name.ends_with(".json.gz"), "{relative}");
    }
}

#[test]
fn json_lines_read_back_plain_and_gzipped() {
    let dir = tempfile::tempdir().unwrap();
    for (file, gzip) in [("events.jsonl", false), ("events.jsonl.gz", true)] {
        let path = dir.path().join(file);
        let summary = synth::write_jsonl(&mut generator(9, 0.01), 2_500, &path, gzip).unwrap();
        assert_eq!(summary.events, 2_500);
        assert_eq!(read_back(&path), (2_500, 0), "{file}");
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(raw.starts_with(&[0x1f, 0x8b]), gzip, "{file}");
    }
}

#[test]
fn the_mix_can_be_read_from_the_fixture_file() {
    let Some(path) = crate::support::fixture("panther/aws-cloudtrail.jsonl") else { return };
    let mix = Mix::from_file(&path).unwrap();
    assert!(mix.len() > Mix::default().len() - 20, "{} calls", mix.len());
    let mut g = Generator::new(GeneratorOptions { mix, ..GeneratorOptions::default() });
    for _ in 0..2_000 {
        trailhound::normalize::event(&g.next_value().to_string()).unwrap();
    }
}

#[test]
fn a_bad_mix_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mix.jsonl");
    std::fs::write(
        &path,
        "{\"event\":{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}}\nnot json\n",
    )
    .unwrap();
    let error = Mix::from_file(&path).unwrap_err().to_string();
    assert!(error.contains("mix.jsonl:2"), "{error}");
    std::fs::write(&path, "{\"log\":\"other\"}\n").unwrap();
    assert!(Mix::from_file(&path).unwrap_err().to_string().contains("no line holds a CloudTrail record"));
}

/// `examples/data` is exactly what `trailhound generate --example` writes, so the bundled data
/// and its generator cannot drift apart.
#[test]
fn the_bundled_example_data_is_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let summary = synth::example::write_example(&out).unwrap();
    assert_eq!((summary.records, summary.other_records), (662, 527), "CloudTrail, and the other planes");
    let bundled = crate::support::workspace().join("examples/data");
    let files = |root: &Path| {
        let mut files = Vec::new();
        let mut folders = vec![root.to_path_buf()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path.strip_prefix(root).unwrap().to_path_buf());
                }
            }
        }
        files.sort();
        files
    };
    let written = files(&out);
    assert_eq!(written, files(&bundled), "run `trailhound generate --example --out examples/data`");
    for file in &written {
        assert!(
            std::fs::read(out.join(file)).unwrap() == std::fs::read(bundled.join(file)).unwrap(),
            "examples/data/{} differs from what the generator writes; run `trailhound generate --example --out examples/data`",
            file.display()
        );
    }
}
