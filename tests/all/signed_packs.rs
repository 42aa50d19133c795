//! Tests: signed rule packs from the vendor's side to the operator's — `pack keygen`, `build`,
//! `sign` and an archive; `verify` and `install` against the operator's trusted keys; one
//! byte tampered, a lower version, an untrusted key, an unsigned pack and a pack for another
//! contract or host, each refused with its reason; signatures made by the reference
//! `minisign` tool verify, and ours verify with it; a running `trailhound run` swaps in a newly
//! installed signed version, and keeps the running one when an installed pack fails
//! verification.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::service::{root_event, Service};
use crate::support;

fn trailhound(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .current_dir(dir)
        .env_remove("TRAILHOUND_SIGNING_PASSWORD")
        .output()
        .expect("trailhound runs")
}

/// Runs `trailhound ARGS` in `dir`; its stdout and stderr, and whether it succeeded.
fn pack(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = trailhound(dir, &[&["pack"], args].concat());
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (succeeded, text) = pack(dir, args);
    assert!(succeeded, "pack {args:?} failed: {text}");
    text
}

fn refused(dir: &Path, args: &[&str], reason: &str) {
    let (succeeded, text) = pack(dir, args);
    assert!(!succeeded, "pack {args:?} was not refused: {text}");
    assert!(text.contains(reason), "pack {args:?}: expected {reason:?} in: {text}");
}

/// A pack `acme` of version `version` in `dir/name`: the rules plugin with one rule whose
/// output starts with `label`, built (digests written) but not signed.
fn make_pack(dir: &Path, name: &str, version: &str, label: &str) -> PathBuf {
    let root = dir.join(name);
    ok(dir, &["new", name, "--name", "acme", "--publisher", "acme"]);
    std::fs::copy(support::component("rules"), root.join("plugins/rules.wasm")).unwrap();
    std::fs::write(
        root.join("rules/root.yaml"),
        format!(
            "- rule: acme.root-call\n  desc: any call by the root user\n  condition: actor.kind = Root\n  \
             output: \"{label} %action\"\n  priority: WARNING\n"
        ),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(root.join("pack.toml")).unwrap();
    let manifest = manifest.replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
        + "\n[[plugins]]\nname = \"rules\"\ncomponent = \"plugins/rules.wasm\"\nfiles = [\"rules/root.yaml\"]\n";
    std::fs::write(root.join("pack.toml"), manifest).unwrap();
    ok(dir, &["build", name]);
    root
}

fn set_in_manifest(pack: &Path, from: &str, to: &str) {
    let path = pack.join("pack.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {text}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// An operator's config trusting `vendor.pub` for publisher acme, packs in `packs/`.
fn operator_config(dir: &Path, extra: &str) {
    let config = format!(
        "[packs]\ndir = \"packs\"\n[[packs.trusted]]\npublisher = \"acme\"\nkey_file = \"vendor.pub\"\n\n\
         [[sources]]\ntype = \"stdin\"\n[[sinks]]\ntype = \"stdout\"\nformat = \"json\"\n{extra}"
    );
    std::fs::write(dir.join("operator.toml"), config).unwrap();
}

#[test]
fn sign_verify_install_then_tampered_downgraded_untrusted_unsigned_and_foreign_packs_are_refused() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    ok(dir, &["keygen", "vendor"]);
    ok(dir, &["keygen", "stranger"]);
    operator_config(dir, "");
    let config = ["--config", "operator.toml"];

    let v1 = make_pack(dir, "v1", "1.1.0", "first:");
    let signed = ok(dir, &["sign", "v1", "--key", "vendor.key", "--archive", "acme-1.1.0.tar.gz"]);
    assert!(signed.contains("signed acme 1.1.0 with key"), "{signed}");
    let verified = ok(dir, &[&["verify", "acme-1.1.0.tar.gz"][..], &config].concat());
    assert!(verified.contains("ok: acme 1.1.0 by acme, signed by trusted key"), "{verified}");
    let installed = ok(dir, &[&["install", "acme-1.1.0.tar.gz"][..], &config].concat());
    assert!(
        installed.contains("installed acme 1.1.0") && installed.contains("plugins: acme.rules"),
        "{installed}"
    );
    let listed = ok(dir, &[&["list"][..], &config].concat());
    assert!(
        listed.contains("acme") && listed.contains("1.1.0") && listed.contains("signed by trusted key"),
        "{listed}"
    );

    // The archive's digest is checked when one is given.
    let wrong = "0".repeat(64);
    refused(
        dir,
        &[&["install", "acme-1.1.0.tar.gz", "--sha256", &wrong][..], &config].concat(),
        "its SHA-256 is",
    );

    // One byte of a rule file changed after signing: the file is named.
    let rule = v1.join("rules/root.yaml");
    let mut bytes = std::fs::read(&rule).unwrap();
    bytes[2] ^= 0x20;
    std::fs::write(&rule, &bytes).unwrap();
    refused(dir, &[&["verify", "v1"][..], &config].concat(), "pack acme: rules/root.yaml: its SHA-256 is");
    refused(dir, &[&["install", "v1"][..], &config].concat(), "rules/root.yaml");
    // The manifest changed after signing (a version bumped by hand): the signature fails.
    make_pack(dir, "bumped", "1.2.0", "first:");
    ok(dir, &["sign", "bumped", "--key", "vendor.key"]);
    set_in_manifest(&dir.join("bumped"), "version = \"1.2.0\"", "version = \"1.3.0\"");
    refused(dir, &[&["install", "bumped"][..], &config].concat(), "bad signature");

    // A lower version: refused, then allowed with the flag.
    make_pack(dir, "v0", "1.0.0", "older:");
    ok(dir, &["sign", "v0", "--key", "vendor.key"]);
    refused(
        dir,
        &[&["install", "v0"][..], &config].concat(),
        "version 1.0.0 is lower than the installed 1.1.0",
    );
    let downgraded = ok(dir, &[&["install", "v0", "--allow-downgrade"][..], &config].concat());
    assert!(
        downgraded.contains("installed acme 1.0.0") && downgraded.contains("replacing 1.1.0"),
        "{downgraded}"
    );

    // Signed by a key the operator does not trust for acme.
    make_pack(dir, "strange", "2.0.0", "strange:");
    ok(dir, &["sign", "strange", "--key", "stranger.key"]);
    refused(
        dir,
        &[&["install", "strange"][..], &config].concat(),
        "which is not trusted for publisher \"acme\"",
    );
    // A key trusted for another publisher does not count either.
    std::fs::write(
        dir.join("other.toml"),
        "[packs]\ndir = \"packs\"\n[[packs.trusted]]\npublisher = \"globex\"\nkey_file = \"stranger.pub\"\n",
    )
    .unwrap();
    refused(dir, &["install", "strange", "--config", "other.toml"], "not trusted for publisher \"acme\"");
    // Unsigned.
    make_pack(dir, "unsigned", "2.0.0", "unsigned:");
    refused(
        dir,
        &[&["install", "unsigned"][..], &config].concat(),
        "pack acme is not signed, and signatures are required",
    );
    // For another contract, and for another host.
    let foreign = make_pack(dir, "foreign", "2.0.0", "foreign:");
    set_in_manifest(&foreign, "contract = \"0.2.0\"", "contract = \"0.9.0\"");
    ok(dir, &["sign", "foreign", "--key", "vendor.key"]);
    refused(
        dir,
        &[&["install", "foreign"][..], &config].concat(),
        "it is built for contract 0.9.0, and this host loads contracts 0.1.0 and 0.2.0",
    );
    let future = make_pack(dir, "future", "2.0.0", "future:");
    set_in_manifest(&future, "host = \">=", "host = \">=9.0.0, >=");
    ok(dir, &["sign", "future", "--key", "vendor.key"]);
    refused(dir, &[&["install", "future"][..], &config].concat(), "it is built for host versions >=9.0.0");

    // None of the refused ones replaced what is installed.
    let listed = ok(dir, &[&["list"][..], &config].concat());
    assert!(listed.contains("1.0.0") && !listed.contains("2.0.0"), "{listed}");
    // A file of the installed copy changed on disk: `list` says so and fails.
    let installed_rule = dir.join("packs/acme/rules/root.yaml");
    std::fs::write(&installed_rule, "- rule: changed\n").unwrap();
    let (succeeded, listed) = pack(dir, &[&["list"][..], &config].concat());
    assert!(!succeeded && listed.contains("REFUSED: pack acme: rules/root.yaml"), "{listed}");
    // `validate` verifies the installed packs as `run` will.
    let validated = trailhound(dir, &["validate", "operator.toml"]);
    let said =
        String::from_utf8_lossy(&validated.stderr).to_string() + &String::from_utf8_lossy(&validated.stdout);
    assert!(!validated.status.success() && said.contains("pack acme: rules/root.yaml"), "{said}");
    // A damaged manifest does not keep the pack from being removed.
    std::fs::write(dir.join("packs/acme/pack.toml"), "not = [a manifest").unwrap();
    ok(dir, &[&["remove", "acme"][..], &config].concat());
    assert!(!dir.join("packs/acme").exists());
}

#[test]
fn one_publisher_cannot_replace_anothers_pack_and_installed_files_get_a_fixed_mode() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    ok(dir, &["keygen", "vendor"]);
    ok(dir, &["keygen", "rival"]);
    operator_config(dir, "[[packs.trusted]]\npublisher = \"rival\"\nkey_file = \"rival.pub\"\n");
    let config = ["--config", "operator.toml"];
    let acme = make_pack(dir, "acme", "1.0.0", "acme:");
    // A source file world-writable and setuid: the installed copy is neither.
    std::fs::set_permissions(acme.join("rules/root.yaml"), std::fs::Permissions::from_mode(0o4777)).unwrap();
    ok(dir, &["sign", "acme", "--key", "vendor.key"]);
    ok(dir, &[&["install", "acme"][..], &config].concat());
    let mode =
        std::fs::metadata(dir.join("packs/acme/rules/root.yaml")).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o644);

    // The rival, trusted for its own packs, offers a higher version of a pack named acme.
    let rival = make_pack(dir, "rival", "9.0.0", "rival:");
    set_in_manifest(&rival, "publisher = \"acme\"", "publisher = \"rival\"");
    ok(dir, &["build", "rival"]);
    ok(dir, &["sign", "rival", "--key", "rival.key"]);
    refused(
        dir,
        &[&["install", "rival"][..], &config].concat(),
        "pack acme is installed from publisher \"acme\"; this one is by \"rival\"",
    );
    // A key given on the command line is not the config's trust, which `run` uses.
    refused(
        dir,
        &[&["install", "rival", "--key", "rival.pub"][..], &config].concat(),
        "add it to [[packs.trusted]]",
    );
    let listed = ok(dir, &[&["list"][..], &config].concat());
    assert!(listed.contains("1.0.0") && !listed.contains("9.0.0"), "{listed}");
}

#[test]
fn signatures_made_by_the_minisign_tool_verify_and_ours_verify_with_it() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let minisign = |args: &[&str]| {
        let output = Command::new("minisign")
            .args(args)
            .current_dir(dir)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("minisign is installed (scripts/setup.sh minisign)");
        let text =
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "minisign {args:?}: {text}");
        text
    };
    // A vendor who signs with the minisign tool.
    minisign(&["-G", "-W", "-p", "tool.pub", "-s", "tool.key"]);
    make_pack(dir, "tooled", "1.0.0", "tool:");
    minisign(&["-S", "-s", "tool.key", "-m", "tooled/pack.toml"]);
    assert!(dir.join("tooled/pack.toml.minisig").exists());
    let verified = ok(dir, &["verify", "tooled", "--key", "tool.pub"]);
    assert!(verified.contains("signed by trusted key"), "{verified}");
    // And the operator who checks ours with it.
    ok(dir, &["keygen", "vendor"]);
    make_pack(dir, "ours", "1.0.0", "ours:");
    ok(dir, &["sign", "ours", "--key", "vendor.key"]);
    let checked = minisign(&["-V", "-p", "vendor.pub", "-m", "ours/pack.toml"]);
    assert!(checked.contains("Signature and comment signature verified"), "{checked}");
    assert!(checked.contains("trailhound pack acme 1.0.0 by acme"), "{checked}");
    // A password-protected key, its password from the environment.
    let output = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["pack", "keygen", "locked"])
        .current_dir(dir)
        .env("TRAILHOUND_SIGNING_PASSWORD", "correct horse")
        .output()
        .unwrap();
    assert!(output.status.success());
    refused(dir, &["sign", "ours", "--key", "locked.key"], "Wrong password");
}

fn send(service: &mut Service, id: &str) {
    let stdin = service.stdin.as_mut().unwrap();
    writeln!(stdin, "{}", root_event(id)).unwrap();
    stdin.flush().unwrap();
}

#[test]
fn a_running_host_swaps_in_a_newly_installed_signed_version_and_keeps_it_when_an_install_fails_verification()
{
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    ok(dir, &["keygen", "vendor"]);
    let minimal = support::component("minimal-detector");
    operator_config(
        dir,
        &format!(
            "[engine]\nworkers = 1\nlinger_ms = 200\n[[plugins]]\nname = \"minimal\"\npath = {:?}\n",
            minimal.display().to_string()
        ),
    );
    let config = ["--config", "operator.toml"];
    make_pack(dir, "v1", "1.0.0", "first version:");
    ok(dir, &["sign", "v1", "--key", "vendor.key"]);
    ok(dir, &[&["install", "v1"][..], &config].concat());

    let mut service = Service::with_config(dir, &std::fs::read_to_string(dir.join("operator.toml")).unwrap());
    service.wait_for_log("packs: acme.rules verified and loaded");
    let from_pack = |service: &Service| -> Vec<String> {
        service.findings().iter().filter(|f| f.contains("acme.root-call")).cloned().collect()
    };
    send(&mut service, "r0");
    service.wait_for_findings(2);
    assert!(from_pack(&service)[0].contains("first version: CreateUser"), "{:?}", service.findings());

    make_pack(dir, "v2", "1.1.0", "second version:");
    ok(dir, &["sign", "v2", "--key", "vendor.key"]);
    ok(dir, &[&["install", "v2"][..], &config].concat());
    service.wait_for_log("reloaded: replaced acme.rules");
    send(&mut service, "r1");
    service.wait_for_findings(4);
    assert!(from_pack(&service)[1].contains("second version: CreateUser"), "{:?}", service.findings());

    // The installed copy's rule file changed behind the store's back: the reload is refused,
    // naming the file, and the second version keeps firing.
    std::fs::write(dir.join("packs/acme/rules/root.yaml"), "- rule: planted\n").unwrap();
    service.wait_for_log("reload refused: loading the installed packs: pack acme: rules/root.yaml");
    send(&mut service, "r2");
    service.wait_for_findings(6);
    assert!(from_pack(&service)[2].contains("second version: CreateUser"), "{:?}", service.findings());
    service.signal("TERM");
    let (code, _, _) = service.wait();
    assert_eq!(code, Some(0));
}
