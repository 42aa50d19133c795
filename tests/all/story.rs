//! Tests: `trailhound story` as a user runs it — the latest revision of each story drawn
//! from a findings file, `--uid`, skipped lines counted on stderr, hostile text made inert,
//! byte-identical output, and the page rendered by a real browser (headless Chromium) into a
//! screenshot that shows the severity colours.
//!
//! The stories are built from [`Story`] values the way a storyline or composite plugin
//! reports them, and written as the file sink writes findings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use trailhound::findings::{ocsf, Detection};
use trailhound::story::palette::{colours, rgb};
use trailhound_sdk::story::{Hop, Node, Proximity, Step, Story, StoryKind};
use trailhound_sdk::{Finding, Severity};

/// 2026-11-03 09:00:00Z.
const START: i64 = 1_793_696_400_000;
const MINUTE: i64 = 60_000;
/// A headless browser that hangs is killed after this long.
const BROWSER_DEADLINE: Duration = Duration::from_secs(60);
const WINDOW: (u32, u32) = (1400, 1000);

/// `trailhound story ARGS`.
fn trailhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound")).arg("story").args(args).output().expect("trailhound runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn node(id: &str, label: &str, kind: &str, plane: &str, account: &str, minute: i64) -> Node {
    Node {
        id: id.into(),
        label: label.into(),
        kind: kind.into(),
        plane: plane.into(),
        account: account.into(),
        first_seen: START + minute * MINUTE,
    }
}

fn hop(from: &Node, to: &Node, via: &str, minute: i64) -> Hop {
    Hop {
        from: from.id.clone(),
        to: to.id.clone(),
        via: via.into(),
        time: START + minute * MINUTE,
        event_id: format!("hop-{minute}"),
    }
}

fn step(at: &Node, minute: i64, label: &str, severity: Severity, weight: u32) -> Step {
    Step {
        time: START + minute * MINUTE,
        node: at.id.clone(),
        label: label.into(),
        severity,
        weight,
        plane: at.plane.clone(),
        event_ids: vec![format!("ev-{minute}")],
        ..Step::default()
    }
}

/// An insider's trail: a user opens a shell on an instance, uses its role, chains into an
/// admin role, reaches into a Kubernetes cluster and a second account; 10 nodes, 30 steps.
fn storyline(revision: u32) -> Story {
    let account = "111122223333";
    let user = node("arn:aws:iam::111122223333:user/jdoe", "jdoe", "principal", "cloud", account, 0);
    let instance = node("i-0a1b2c3d4e5f67890", "i-0a1b2c3d4e5f67890", "instance", "cloud", account, 2);
    let host = node("host:ip-10-0-1-5.ec2.internal", "ip-10-0-1-5", "host", "host", account, 3);
    let container = node("container:3f4e5d6c7b8a", "payments-api", "container", "host", account, 6);
    let profile = node(
        "arn:aws:sts::111122223333:assumed-role/web-instance-role/i-0a1b2c3d4e5f67890",
        "web-instance-role/i-0a1b2c3d4e5f67890",
        "role-session",
        "cloud",
        account,
        8,
    );
    let key = node("ASIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE", "access-key", "cloud", account, 9);
    let admin = node(
        "arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/jdoe-maintenance-session",
        "OrganizationAccountAccessRole/jdoe-maintenance-session",
        "role-session",
        "cloud",
        account,
        14,
    );
    let sa = node(
        "system:serviceaccount:payments:deployer",
        "payments/deployer",
        "service-account",
        "kubernetes",
        "prod-cluster",
        18,
    );
    let pod = node("pod:payments/api-7d9f8", "api-7d9f8", "pod", "kubernetes", "prod-cluster", 20);
    let external = node(
        "arn:aws:iam::444455556666:role/BackupAdmin",
        "BackupAdmin",
        "role",
        "cloud",
        "444455556666",
        26,
    );
    let mut hops = vec![
        hop(&user, &instance, "ssm:StartSession", 2),
        hop(&instance, &host, "shell", 3),
        hop(&host, &container, "docker exec", 6),
        hop(&host, &profile, "instance role", 8),
        hop(&profile, &key, "credentials", 9),
        hop(&key, &admin, "sts:AssumeRole", 14),
        hop(&admin, &sa, "eks:DescribeCluster", 18),
        hop(&sa, &pod, "pods/exec", 20),
        hop(&admin, &external, "sts:AssumeRole (denied)", 26),
        hop(&admin, &external, "sts:AssumeRole (denied)", 27),
    ];
    let plan: [(&Node, &str, Severity, u32); 30] = [
        (&user, "console login without MFA", Severity::Low, 5),
        (&user, "ssm:StartSession", Severity::Info, 1),
        (&instance, "session on production instance", Severity::Low, 5),
        (&host, "shell spawned by ssm-agent", Severity::Medium, 10),
        (&host, "read /etc/shadow", Severity::High, 20),
        (&host, "package manager run", Severity::Low, 3),
        (&container, "terminal shell in container", Severity::Medium, 10),
        (&container, "outbound connection to 203.0.113.9", Severity::Medium, 10),
        (&profile, "GetCallerIdentity", Severity::Info, 1),
        (&profile, "ListBuckets", Severity::Low, 3),
        (&profile, "DescribeInstances in 9 regions", Severity::Medium, 12),
        (&key, "key used from a new network", Severity::Medium, 10),
        (&key, "ListRoles", Severity::Low, 3),
        (&key, "GetAccountAuthorizationDetails", Severity::Medium, 10),
        (&admin, "CreatePolicyVersion, set as default", Severity::High, 25),
        (&admin, "CreateAccessKey for jdoe", Severity::High, 20),
        (&admin, "AttachUserPolicy AdministratorAccess", Severity::Critical, 30),
        (&admin, "DescribeDBInstances", Severity::Low, 3),
        (&admin, "CreateDBSnapshot payments-prod", Severity::High, 20),
        (&admin, "ModifyDBSnapshotAttribute restore=all", Severity::Critical, 40),
        (&admin, "StopLogging attempt", Severity::Critical, 40),
        (&sa, "list secrets in payments", Severity::Medium, 10),
        (&sa, "create clusterrolebinding", Severity::High, 20),
        (&pod, "exec into pod", Severity::Medium, 10),
        (&pod, "read service account token", Severity::High, 15),
        (&external, "AssumeRole AccessDenied", Severity::Medium, 10),
        (&external, "AssumeRole AccessDenied", Severity::Medium, 10),
        (&external, "AssumeRole AccessDenied", Severity::Medium, 10),
        (&admin, "PutBucketPolicy public", Severity::Critical, 40),
        (&admin, "DeleteTrail attempt", Severity::Critical, 40),
    ];
    let mut steps: Vec<Step> = plan
        .iter()
        .enumerate()
        .map(|(i, (at, label, severity, weight))| step(at, 1 + i as i64, label, *severity, *weight))
        .collect();
    if revision == 1 {
        // The first report stopped before the external assumes.
        steps.truncate(25);
        hops.truncate(8);
    }
    let risk = steps.iter().map(|s| s.weight).sum();
    Story {
        kind: StoryKind::Storyline,
        key: user.id.clone(),
        revision,
        nodes: vec![user, instance, host, container, profile, key, admin, sa, pod, external],
        hops,
        steps,
        resources: vec!["arn:aws:rds:us-east-1:111122223333:snapshot:payments-prod-manual".into()],
        sensitive: vec![Proximity {
            resource: "arn:aws:rds:us-east-1:111122223333:db:payments-prod".into(),
            reach: "touched".into(),
            event_id: "ev-19".into(),
        }],
        risk,
        threshold: 100,
        ..Story::default()
    }
}

/// A container escape on a host, then the host's keys used for discovery, a privileged role
/// assumed, snapshots shared: findings of four detectors tied together on the host.
fn composite() -> Story {
    let account = "111122223333";
    let host = node("host:ip-10-0-2-17", "ip-10-0-2-17", "host", "host", account, 0);
    let container = node("container:9a8b7c6d5e4f", "vulnerable-web", "container", "host", account, 0);
    let session = node(
        "arn:aws:sts::111122223333:assumed-role/batch-node/i-0fedcba9876543210",
        "batch-node/i-0fedcba9876543210",
        "role-session",
        "cloud",
        account,
        5,
    );
    let admin = node(
        "arn:aws:sts::111122223333:assumed-role/DatabaseAdmin/batch",
        "DatabaseAdmin/batch",
        "role-session",
        "cloud",
        account,
        12,
    );
    let finding =
        |at: &Node, minute: i64, title: &str, severity: Severity, reporter: &str, rule: &str| Step {
            reporter: Some(reporter.into()),
            rule: Some(rule.into()),
            techniques: vec!["T1611".into()],
            ..step(at, minute, title, severity, 0)
        };
    let steps = vec![
        finding(
            &container,
            1,
            "Container escape via mount of the host filesystem",
            Severity::Critical,
            "falco",
            "Container Escape",
        ),
        finding(&host, 2, "Reverse shell", Severity::High, "falco", "Reverse Shell"),
        finding(
            &session,
            6,
            "Discovery across 12 regions",
            Severity::Medium,
            "baseline",
            "baseline.many-regions",
        ),
        finding(&admin, 12, "Privileged role assumed", Severity::High, "rules", "aws.sts.privileged-assume"),
        finding(
            &admin,
            15,
            "RDS snapshot shared outside the account",
            Severity::Critical,
            "rules",
            "aws.rds.snapshot-shared",
        ),
    ];
    Story {
        kind: StoryKind::Composite,
        key: host.id.clone(),
        revision: 1,
        hops: vec![
            hop(&container, &host, "container escape", 1),
            hop(&host, &session, "instance role", 5),
            hop(&session, &admin, "sts:AssumeRole", 12),
        ],
        nodes: vec![host, container, session, admin],
        steps,
        ..Story::default()
    }
}

/// The story as the file sink writes its finding: one OCSF JSON line.
fn line(story: &Story, plugin: &str, title: &str, severity: Severity) -> String {
    let finding =
        Finding::new(format!("{plugin}.story"), title, severity).actor(story.key.clone()).story(story);
    let detection = Detection {
        plugin: plugin.into(),
        plugin_version: "0.1.0".into(),
        finding,
        related: Vec::new(),
        time: story.steps.last().map_or(START, |s| s.time),
    };
    ocsf::to_json(&detection).to_string()
}

/// The finding uid of a story's line.
fn uid(line: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    value["finding_info"]["uid"].as_str().unwrap().to_string()
}

struct Findings {
    _dir: tempfile::TempDir,
    path: PathBuf,
    storyline: String,
    composite: String,
}

/// A findings file: two revisions of a storyline (the later first), a composite, a finding
/// without a story and a line that is not JSON.
fn findings() -> Findings {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.jsonl");
    let title = "Storyline: jdoe reached payments-prod";
    let second = line(&storyline(2), "storyline", title, Severity::Critical);
    let first = line(&storyline(1), "storyline", title, Severity::High);
    let composite = line(
        &composite(),
        "composite",
        "Composite: container escape to RDS snapshot share",
        Severity::Critical,
    );
    let plain = ocsf::to_json(&Detection {
        plugin: "rules".into(),
        plugin_version: "0.1.0".into(),
        finding: Finding::new("aws.iam.root-login", "Root login", Severity::High),
        related: Vec::new(),
        time: START,
    })
    .to_string();
    let text =
        [second.as_str(), plain.as_str(), "{\"truncated\": ", composite.as_str(), first.as_str()].join("\n");
    std::fs::write(&path, text + "\n").unwrap();
    Findings { storyline: uid(&second), composite: uid(&composite), _dir: dir, path }
}

fn draw(findings: &Path, extra: &[&str]) -> (Output, String) {
    let out = findings.with_extension(format!("{}.html", extra.len()));
    let mut args = vec![findings.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = trailhound(&args);
    let page = std::fs::read_to_string(&out).unwrap_or_default();
    (output, page)
}

#[test]
fn story_draws_the_latest_revision_of_every_story_storylines_first() {
    let findings = findings();
    let (output, page) = draw(&findings.path, &[]);
    let stderr = text(&output.stderr);
    // A line that is not JSON is worth a look: exit 1, with its file:line named.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("1 lines are not JSON findings") && stderr.contains("findings.jsonl:3"),
        "{stderr}"
    );
    assert!(stderr.contains("1 findings carry no story") && stderr.contains("findings.jsonl:2"), "{stderr}");
    let storyline = page.find("Storyline: jdoe reached payments-prod").expect("the storyline is drawn");
    let composite = page.find("Composite: container escape").expect("the composite is drawn");
    assert!(storyline < composite, "storylines come first");
    // Revision 2 (30 steps, the denied assumes) is drawn, not revision 1 (25 steps).
    assert!(page.contains("<dt>revision</dt><dd>2</dd>"), "revision 2 drawn");
    assert!(page.contains("10 nodes, 10 hops, 30 steps"));
    assert_eq!(page.matches("<section").count(), 2);
    assert!(
        page.contains("sts:AssumeRole (d…") || page.contains("sts:AssumeRole (de"),
        "hop labels are shortened"
    );
    assert!(page.contains("<title>"), "details on hover");
    assert!(
        !page.contains("http://")
            || page.matches("http://").count()
                == page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        "nothing is fetched: the only URL is the SVG namespace"
    );
}

#[test]
fn story_uid_picks_one_and_names_a_missing_one() {
    let findings = findings();
    let (output, page) = draw(&findings.path, &["--uid", &findings.composite]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(page.matches("<section").count(), 1);
    assert!(page.contains("composite alert") && !page.contains("Storyline: jdoe"));

    let output = trailhound(&[findings.path.to_str().unwrap(), "--uid", "no-such-uid"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("\"no-such-uid\""), "{stderr}");
    assert!(
        stderr.contains(&findings.storyline) && stderr.contains(&findings.composite),
        "lists the uids there are: {stderr}"
    );
}

#[test]
fn story_text_from_a_finding_comes_out_inert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.jsonl");
    let mut story = composite();
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    story.nodes[0].label = evil.into();
    story.nodes[1].id = format!("arn:aws:iam::1:role/{evil}");
    story.steps[0].node = story.nodes[1].id.clone();
    story.steps[1].label = evil.into();
    story.hops[0].via = evil.into();
    story.key = evil.into();
    story.sensitive.push(Proximity { resource: evil.into(), reach: evil.into(), event_id: evil.into() });
    std::fs::write(&path, line(&story, "composite", evil, Severity::High)).unwrap();
    let (output, page) = draw(&path, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lower = page.to_lowercase();
    assert!(!lower.contains("<script"), "a script element came through");
    assert!(!lower.contains("<img"), "an img element came through");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn story_output_is_byte_identical_for_the_same_input() {
    let findings = findings();
    let (_, first) = draw(&findings.path, &[]);
    let again = trailhound(&[findings.path.to_str().unwrap()]);
    assert!(!first.is_empty());
    assert_eq!(text(&again.stdout), first, "stdout and --out differ, or two runs differ");
}

/// The browser on PATH, or `None` (the test is then skipped, or fails under CI).
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("chromium")).find(|p| p.is_file()));
    if found.is_none() {
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        if std::env::var_os("CI").is_some() {
            panic!(
                "{test}: chromium is not installed, and CI is set (scripts/setup.sh chromium installs it)"
            );
        }
        eprintln!("SKIPPED {test}: chromium is not installed (scripts/setup.sh chromium installs it)");
    }
    found
}

/// A headless screenshot of `page`, killed when it takes longer than [`BROWSER_DEADLINE`].
fn screenshot(browser: &Path, page: &Path, png: &Path) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            assert!(status.success() && png.exists(), "chromium failed ({status}):\n{stderr}");
            return;
        }
        if started.elapsed() > BROWSER_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took longer than {BROWSER_DEADLINE:?} to take the screenshot");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Width, height and RGB pixels of a PNG.
fn decode(path: &Path) -> (u32, u32, Vec<(u8, u8, u8)>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    let pixels = buffer[..info.buffer_size()].chunks(channels).map(|p| (p[0], p[1], p[2])).collect();
    (info.width, info.height, pixels)
}

/// Pixels within a few levels of `colour` (anti-aliasing and colour management blur edges).
fn count(pixels: &[(u8, u8, u8)], colour: &str) -> usize {
    let (r, g, b) = rgb(colour);
    let near = |a: u8, b: u8| a.abs_diff(b) <= 6;
    pixels.iter().filter(|p| near(p.0, r) && near(p.1, g) && near(p.2, b)).count()
}

#[test]
fn story_renders_in_a_real_browser() {
    let Some(browser) = chromium() else { return };
    let findings = findings();
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("story");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, uid, story) in
        [("storyline", &findings.storyline, storyline(2)), ("composite", &findings.composite, composite())]
    {
        let page = folder.join(format!("{name}.html"));
        let output =
            trailhound(&[findings.path.to_str().unwrap(), "--uid", uid, "--out", page.to_str().unwrap()]);
        assert!(page.exists(), "{}", text(&output.stderr));
        let png = folder.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&png);
        screenshot(&browser, &page, &png);
        let (width, height, pixels) = decode(&png);
        assert_eq!((width, height), WINDOW, "{name}: screenshot size");
        // Every severity of a step shows as its marker colour, and the nodes as their
        // tints: the graph was drawn, not a blank page.
        let shown: Vec<Severity> = story.steps.iter().map(|s| s.severity).collect();
        for severity in Severity::ALL.iter().filter(|s| shown.contains(s)) {
            let strong = count(&pixels, colours(*severity).strong);
            assert!(
                strong >= 150,
                "{name}: {severity} markers: only {strong} pixels of {}",
                colours(*severity).strong
            );
        }
        let worst = story.steps.iter().map(|s| s.severity).max().unwrap();
        let tint = count(&pixels, colours(worst).tint);
        assert!(tint >= 2000, "{name}: nodes tinted {worst}: only {tint} pixels of {}", colours(worst).tint);
        eprintln!("{name}: screenshot {}", png.display());
    }
}
