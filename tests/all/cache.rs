//! Tests: the compiled-component cache holds native code, so an entry is only used when its
//! tag verifies — one copied over another's name, or edited, is recompiled — and a cache
//! folder or key that others could write is bypassed or replaced, never trusted, while the
//! plugin still runs.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::json;
use trailhound::engine::runtime::WasmRuntime;
use trailhound::engine::settings::cache_dir_for;
use trailhound::engine::{cache, EngineSettings, LoadedPlugin};

use crate::engine::{settings, spec};
use crate::support;

/// A uid that owns nothing here (the tests run as root, which may chown).
const STRANGER: u32 = 4_242_424;

/// Warnings logged on this thread while `f` runs, as text.
fn warnings<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let sink = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let value = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (value, text)
}

/// A plugin loaded from `component` with the cache in `dir`; also what it warned.
fn load(component: &str, dir: &Path) -> (LoadedPlugin, String) {
    let settings = EngineSettings { cache_dir: dir.to_path_buf(), ..settings() };
    let runtime = WasmRuntime::new(&settings).expect("wasmtime engine");
    let (plugin, logs) =
        warnings(|| LoadedPlugin::load(spec(component, component, json!({})), &runtime, &settings));
    (plugin.unwrap_or_else(|e| panic!("{component} loads: {e}")), logs)
}

/// Where `component`'s entry lives in the cache at `dir`.
fn entry(component: &str, dir: &Path) -> PathBuf {
    let runtime = WasmRuntime::new(&settings()).expect("wasmtime engine");
    let wasm = std::fs::read(support::component(component)).unwrap();
    cache::entry_path(&runtime.engine, &wasm, dir)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

#[test]
fn an_untouched_entry_is_loaded_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (first, logs) = load("minimal-detector", dir.path());
    assert!(!first.from_cache);
    assert!(logs.is_empty(), "{logs}");
    let (second, logs) = load("minimal-detector", dir.path());
    assert!(second.from_cache, "second load comes from the cache");
    assert!(logs.is_empty(), "{logs}");
    assert_eq!(second.info.name, "root-activity");
}

#[test]
fn the_cache_and_its_key_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("new").join("trailhound");
    load("minimal-detector", &cache_dir);
    assert_eq!(mode(&cache_dir), 0o700);
    assert_eq!(mode(&cache_dir.join("compiled")), 0o700);
    assert_eq!(mode(&cache_dir.join("key")), 0o600);
    assert_eq!(std::fs::read(cache_dir.join("key")).unwrap().len(), 32);
    assert_eq!(mode(&entry("minimal-detector", &cache_dir)), 0o600);
}

#[test]
fn an_entry_copied_over_another_plugins_entry_is_recompiled_not_run() {
    let dir = tempfile::tempdir().unwrap();
    load("misbehaving", dir.path());
    load("minimal-detector", dir.path());
    let (foreign, victim) = (entry("misbehaving", dir.path()), entry("minimal-detector", dir.path()));
    std::fs::copy(&foreign, &victim).unwrap();

    let (plugin, logs) = load("minimal-detector", dir.path());
    assert!(!plugin.from_cache, "the substituted entry is not used");
    assert_eq!(plugin.info.name, "root-activity", "the plugin's own code runs, not misbehaving's");
    assert!(logs.contains("failed verification") && logs.contains(&victim.display().to_string()), "{logs}");

    let (again, logs) = load("minimal-detector", dir.path());
    assert!(again.from_cache, "the entry was rewritten");
    assert_eq!(again.info.name, "root-activity");
    assert!(logs.is_empty(), "{logs}");
}

#[test]
fn an_entry_with_one_changed_byte_is_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    load("minimal-detector", dir.path());
    let path = entry("minimal-detector", dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let (plugin, logs) = load("minimal-detector", dir.path());
    assert!(!plugin.from_cache);
    assert!(logs.contains("failed verification") && logs.contains(&path.display().to_string()), "{logs}");
    assert!(load("minimal-detector", dir.path()).0.from_cache, "rewritten");
}

#[test]
fn an_entry_in_the_old_unsigned_format_is_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    load("minimal-detector", dir.path());
    let path = entry("minimal-detector", dir.path());
    let runtime = WasmRuntime::new(&settings()).unwrap();
    let wasm = std::fs::read(support::component("minimal-detector")).unwrap();
    let raw = wasmtime::component::Component::new(&runtime.engine, &wasm).unwrap().serialize().unwrap();
    std::fs::write(&path, raw).unwrap();

    let (plugin, logs) = load("minimal-detector", dir.path());
    assert!(!plugin.from_cache);
    assert!(logs.contains("not in the signed format"), "{logs}");
}

#[test]
fn a_cache_folder_writable_by_others_is_bypassed_and_the_plugin_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o777);
    for _ in 0..2 {
        let (plugin, logs) = load("minimal-detector", dir.path());
        assert!(!plugin.from_cache, "nothing is read from it");
        assert_eq!(plugin.info.name, "root-activity");
        let folder = dir.path().display().to_string();
        assert!(
            logs.contains("writable by other users")
                && logs.contains(&format!("chmod go-w {folder}"))
                && logs.contains("engine.cache_dir")
                && logs.contains("compiling in memory without caching"),
            "{logs}"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing is written to it");
}

#[test]
fn a_compiled_subfolder_writable_by_others_is_bypassed() {
    let dir = tempfile::tempdir().unwrap();
    load("minimal-detector", dir.path());
    let compiled = dir.path().join("compiled");
    chmod(&compiled, 0o775);
    let (plugin, logs) = load("minimal-detector", dir.path());
    assert!(!plugin.from_cache);
    assert!(logs.contains(&format!("{} is writable by other users", compiled.display())), "{logs}");
}

#[test]
fn a_cache_folder_of_another_user_is_bypassed() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = dir.path().join("trailhound");
    std::fs::create_dir(&cache_dir).unwrap();
    chmod(&cache_dir, 0o700);
    std::os::unix::fs::chown(&cache_dir, Some(STRANGER), None).unwrap();
    let (plugin, logs) = load("minimal-detector", &cache_dir);
    assert!(!plugin.from_cache);
    assert_eq!(plugin.info.name, "root-activity");
    assert!(
        logs.contains(&format!("belongs to uid {STRANGER}")) && logs.contains("engine.cache_dir"),
        "{logs}"
    );
    assert!(!cache_dir.join("compiled").exists());
}

#[test]
fn a_key_readable_by_others_is_replaced_and_its_entries_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    load("minimal-detector", dir.path());
    let key = dir.path().join("key");
    let old = std::fs::read(&key).unwrap();
    chmod(&key, 0o644);

    let (plugin, logs) = load("minimal-detector", dir.path());
    assert!(!plugin.from_cache, "an entry signed with a key others could read is not trusted");
    assert!(logs.contains("has mode 0644") && logs.contains(&key.display().to_string()), "{logs}");
    assert_eq!(mode(&key), 0o600);
    assert_ne!(std::fs::read(&key).unwrap(), old, "a fresh key");
    assert!(load("minimal-detector", dir.path()).0.from_cache, "signed again with the new key");
}

#[test]
fn a_key_of_another_user_or_a_symlinked_key_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    load("minimal-detector", dir.path());
    let key = dir.path().join("key");
    std::os::unix::fs::chown(&key, Some(STRANGER), None).unwrap();
    let (plugin, logs) = load("minimal-detector", dir.path());
    assert!(!plugin.from_cache);
    assert!(logs.contains(&format!("belongs to uid {STRANGER}")), "{logs}");
    assert_eq!(std::fs::metadata(&key).unwrap().uid(), cache::current_uid());

    let elsewhere = dir.path().join("elsewhere");
    std::fs::write(&elsewhere, [7; 32]).unwrap();
    chmod(&elsewhere, 0o600);
    std::fs::remove_file(&key).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &key).unwrap();
    let (plugin, logs) = load("minimal-detector", dir.path());
    assert!(!plugin.from_cache);
    assert!(logs.contains("symbolic link"), "{logs}");
    assert!(!std::fs::symlink_metadata(&key).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&elsewhere).unwrap(), [7; 32], "the link's target is left alone");
}

#[test]
fn opens_racing_to_create_the_key_all_succeed_and_leave_one_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let opened: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..8).map(|_| s.spawn(|| cache::CompiledCache::open(dir.path()).is_ok())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(opened.iter().all(|ok| *ok), "{opened:?}");
    let key = std::fs::read(dir.path().join("key")).unwrap();
    assert_eq!(key.len(), 32);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "key" && name != "compiled")
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    cache::CompiledCache::open(dir.path()).unwrap();
    assert_eq!(std::fs::read(dir.path().join("key")).unwrap(), key, "a good key is kept");
}

#[test]
fn without_home_the_cache_is_per_user_not_the_shared_temp_folder() {
    let fallback = cache_dir_for(None, None);
    assert_eq!(fallback, std::env::temp_dir().join(format!("trailhound-{}", cache::current_uid())));
    assert_eq!(cache_dir_for(Some("".into()), Some("".into())), fallback, "empty counts as unset");
    assert_eq!(cache_dir_for(Some("relative".into()), None), fallback, "relative XDG is ignored");
    assert_eq!(cache_dir_for(None, Some("/home/u".into())), Path::new("/home/u/.cache/trailhound"));
    assert_eq!(cache_dir_for(Some("/xdg".into()), Some("/home/u".into())), Path::new("/xdg/trailhound"));
}
