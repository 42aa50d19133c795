//! Tests: `trailhound run` picks up changed rule files and plugins while it runs, without a
//! restart: a rule edited in place fires as edited from the next event on; a bad rule file or a
//! broken component dropped in is refused with the reason, and the old version keeps firing;
//! SIGHUP reloads at once.

use std::io::Write;
use std::path::Path;

use crate::service::{root_event, Service};
use crate::support;

fn rule(dir: &Path, output: &str) {
    let text = format!(
        "- rule: test.root-call\n  desc: any call by the root user\n  condition: actor.kind = Root\n  \
         output: \"{output} %action\"\n  priority: WARNING\n"
    );
    // Written beside and renamed into place, as a deploy tool does.
    std::fs::write(dir.join(".root.yaml.tmp"), text).unwrap();
    std::fs::rename(dir.join(".root.yaml.tmp"), dir.join("root.yaml")).unwrap();
}

fn send(service: &mut Service, id: &str) {
    let stdin = service.stdin.as_mut().unwrap();
    writeln!(stdin, "{}", root_event(id)).unwrap();
    stdin.flush().unwrap();
}

#[test]
fn edited_rules_fire_as_edited_and_broken_ones_are_refused_while_the_old_keep_firing() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    rule(&rules, "first version:");
    let component = dir.path().join("rules.wasm");
    std::fs::copy(support::component("rules"), &component).unwrap();
    let plugins = "[[plugins]]\nname = \"falco\"\npath = \"rules.wasm\"\nfiles = [\"rules\"]\n";
    let mut service = Service::with_plugins(dir.path(), "[[sources]]\ntype = \"stdin\"\n", plugins);

    send(&mut service, "r0");
    service.wait_for_findings(1);
    assert!(service.findings()[0].contains("first version: CreateUser"), "{:?}", service.findings());

    rule(&rules, "second version:");
    service.wait_for_log("reloaded: replaced falco");
    send(&mut service, "r1");
    service.wait_for_findings(2);
    assert!(service.findings()[1].contains("second version: CreateUser"), "{:?}", service.findings());

    // A rule that names a field that does not exist: refused, the second version stays.
    std::fs::write(
        rules.join("bad.yaml"),
        "- rule: bad\n  desc: d\n  condition: no.such.field = 1\n  output: o\n  priority: INFO\n",
    )
    .unwrap();
    service.wait_for_logs("reload refused: ", 1);
    send(&mut service, "r2");
    service.wait_for_findings(3);
    assert!(service.findings()[2].contains("second version: CreateUser"), "{:?}", service.findings());
    std::fs::remove_file(rules.join("bad.yaml")).unwrap();
    service.wait_for_log("reload: the plugins are unchanged");

    // A component that is not one: refused at once, and again on SIGHUP.
    std::fs::write(&component, b"\0asm not really").unwrap();
    service.wait_for_logs("reload refused: ", 2);
    service.signal("HUP");
    service.wait_for_logs("reload refused: ", 3);
    send(&mut service, "r3");
    service.wait_for_findings(4);
    assert!(service.findings()[3].contains("second version: CreateUser"), "{:?}", service.findings());

    service.signal("TERM");
    let (code, stderr, seen) = service.wait();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(stderr.contains("reloads: 1 applied, 3 refused"), "{stderr}");
    assert!(stderr.contains("is not a usable detector component"), "{stderr}");
}
