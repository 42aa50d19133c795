//! Packs as `.tar.gz` files, and where `pack install` takes a pack from: a folder, an archive
//! or an HTTPS URL of an archive (whose SHA-256 must be given, so what was downloaded is what
//! the operator meant).
//!
//! Unpacking takes regular files and folders only, at paths inside the pack, up to
//! [`MAX_UNPACKED`] bytes: an archive is input from anywhere, and must not write outside its
//! folder or fill the disk.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::manifest::{self, Manifest, MANIFEST, SIGNATURE};
use super::PackError;

/// The most an archive may unpack to, and the most an HTTPS download may be.
pub const MAX_UNPACKED: u64 = 1 << 30;

/// Writes the pack in `dir` (its manifest, its signature if it has one, and every file the
/// manifest gives a digest for) to the archive `out`; returns its size.
///
/// # Errors
/// A file cannot be read, or the archive cannot be written.
pub fn write(dir: &Path, manifest: &Manifest, out: &Path) -> Result<u64, PackError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackError::Read { path, source }
    };
    let file = File::create(out).map_err(io(out))?;
    let mut tar = tar::Builder::new(GzEncoder::new(file, flate2::Compression::default()));
    tar.mode(tar::HeaderMode::Deterministic);
    let signature = dir.join(SIGNATURE);
    let mut names: Vec<&str> = vec![MANIFEST];
    if signature.exists() {
        names.push(SIGNATURE);
    }
    names.extend(manifest.digests.keys().map(String::as_str));
    for name in names {
        let path = dir.join(name);
        tar.append_path_with_name(&path, name).map_err(io(&path))?;
    }
    tar.into_inner().and_then(GzEncoder::finish).map_err(io(out))?;
    Ok(std::fs::metadata(out).map_err(io(out))?.len())
}

/// Unpacks `archive` into the empty folder `into`; returns the pack's folder there (the
/// archive's root, or its one top folder, as `tar czf pack.tar.gz acme/` makes it).
///
/// # Errors
/// Not a gzip tar, an entry that is not a plain file or folder or lies outside the pack, or
/// more than [`MAX_UNPACKED`] bytes.
pub fn unpack(archive: &Path, into: &Path) -> Result<PathBuf, PackError> {
    let bad = |message: String| PackError::Source(format!("{}: {message}", archive.display()));
    let file =
        File::open(archive).map_err(|source| PackError::Read { path: archive.to_path_buf(), source })?;
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    let mut total = 0u64;
    for entry in tar.entries().map_err(|e| bad(format!("not a .tar.gz: {e}")))? {
        let mut entry = entry.map_err(|e| bad(format!("not a .tar.gz: {e}")))?;
        let name = entry.path().map_err(|e| bad(e.to_string()))?.to_string_lossy().into_owned();
        let name = name.trim_start_matches("./").trim_end_matches('/').to_string();
        if name.is_empty() {
            continue;
        }
        let relative = manifest::safe_path(&name).map_err(bad)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            std::fs::create_dir_all(into.join(&relative)).map_err(|e| bad(e.to_string()))?;
            continue;
        }
        if !kind.is_file() {
            return Err(bad(format!("{name}: only plain files and folders may be in a pack")));
        }
        total += entry.size();
        if total > MAX_UNPACKED {
            return Err(bad(format!("unpacks to more than {} MiB", MAX_UNPACKED >> 20)));
        }
        let target = into.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| bad(e.to_string()))?;
        }
        let mut out = File::create(&target).map_err(|e| bad(format!("{name}: {e}")))?;
        std::io::copy(&mut (&mut entry).take(MAX_UNPACKED), &mut out)
            .map_err(|e| bad(format!("{name}: {e}")))?;
    }
    if into.join(MANIFEST).is_file() {
        return Ok(into.to_path_buf());
    }
    let folders: Vec<PathBuf> = std::fs::read_dir(into)
        .map_err(|e| bad(e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join(MANIFEST).is_file())
        .collect();
    match folders.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(bad(format!("holds no {MANIFEST} at its root or in one top folder"))),
    }
}

/// Downloads `url` (HTTPS only) to `out`, and checks its SHA-256 against `sha256`.
///
/// # Errors
/// Not HTTPS, the download fails or is over [`MAX_UNPACKED`], or the digest differs.
pub fn download(url: &str, sha256: &str, out: &Path) -> Result<(), PackError> {
    let failed = |message: String| PackError::Source(format!("{url}: {message}"));
    if !url.starts_with("https://") {
        return Err(failed("a pack is installed over HTTPS only".into()));
    }
    let response = ureq::get(url).call().map_err(|e| failed(e.to_string()))?;
    let mut body = response.into_body().into_reader().take(MAX_UNPACKED + 1);
    let mut file = File::create(out).map_err(|source| PackError::Read { path: out.to_path_buf(), source })?;
    let written = std::io::copy(&mut body, &mut file).map_err(|e| failed(e.to_string()))?;
    if written > MAX_UNPACKED {
        return Err(failed(format!("is over {} MiB", MAX_UNPACKED >> 20)));
    }
    check_sha256(out, sha256).map_err(failed)
}

/// Whether the file at `path` has the SHA-256 `sha256` (hex, any case) an operator gave.
///
/// # Errors
/// It cannot be read, or its digest differs (both named).
pub fn check_sha256(path: &Path, sha256: &str) -> Result<(), String> {
    let actual = super::digest_of(path)?;
    if !actual.eq_ignore_ascii_case(sha256.trim()) {
        return Err(format!("its SHA-256 is {actual}, and {sha256} was asked for"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzip tar of one entry, its name and type set by hand (as a hostile archive would).
    fn archive_with(dir: &Path, name: &[u8], kind: tar::EntryType) -> PathBuf {
        let path = dir.join("hostile.tar.gz");
        let mut tar =
            tar::Builder::new(GzEncoder::new(File::create(&path).unwrap(), flate2::Compression::fast()));
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(kind);
        header.set_size(4);
        if kind.is_symlink() {
            header.set_size(0);
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_cksum();
        let body: &[u8] = if kind.is_symlink() { b"" } else { b"evil" };
        tar.append(&header, body).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
        path
    }

    #[test]
    fn entries_outside_the_pack_and_links_are_refused_and_nothing_is_written_outside() {
        let dir = tempfile::tempdir().unwrap();
        let into = dir.path().join("into");
        std::fs::create_dir(&into).unwrap();
        let escaping = archive_with(dir.path(), b"../evil", tar::EntryType::Regular);
        let error = unpack(&escaping, &into).unwrap_err().to_string();
        assert!(error.contains("inside the pack"), "{error}");
        assert!(!dir.path().join("evil").exists());
        let linked = archive_with(dir.path(), b"link", tar::EntryType::Symlink);
        let error = unpack(&linked, &into).unwrap_err().to_string();
        assert!(error.contains("only plain files and folders"), "{error}");
        let plain = archive_with(dir.path(), b"notes.txt", tar::EntryType::Regular);
        let error = unpack(&plain, &into).unwrap_err().to_string();
        assert!(error.contains("holds no pack.toml"), "{error}");
    }
}
