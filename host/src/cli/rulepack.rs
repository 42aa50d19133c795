//! `trailhound pack …`: make, sign, verify, install, list and remove signed rule packs (see
//! `trailhound::rulepack`). Verification and installation follow the `[packs]` table of the
//! config given with `--config` (its folder and trusted keys), or `--dir` and `--key`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use trailhound::config::locate::Segment;
use trailhound::config::Config;
use trailhound::rulepack::store::Store;
use trailhound::rulepack::{self, archive, manifest, signature, Manifest, PacksConfig, Trust};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Start a pack in folder DIR: a `pack.toml` to fill in, and `plugins/` and `rules/`.
    New {
        dir: PathBuf,
        /// Default: the folder's name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "me")]
        publisher: String,
    },
    /// Write the SHA-256 of every file the manifest's plugins use into its `[digests]`.
    Build { dir: PathBuf },
    /// Sign the manifest with a minisign secret key (its password, if any, in
    /// $TRAILHOUND_SIGNING_PASSWORD), writing `pack.toml.minisig`; with `--archive`, also
    /// write the signed pack as a `.tar.gz`.
    Sign {
        dir: PathBuf,
        /// The secret key (`pack keygen`, or `minisign -G`).
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        archive: Option<PathBuf>,
    },
    /// Make a minisign key pair, BASE.pub and BASE.key (encrypted when
    /// $TRAILHOUND_SIGNING_PASSWORD is set).
    Keygen { base: PathBuf },
    /// Check a pack (folder or `.tar.gz`): versions, signature, every file's digest.
    Verify {
        pack: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Verify and install a pack from a folder, a `.tar.gz` or an HTTPS URL (with --sha256).
    Install {
        source: String,
        /// The SHA-256 the archive must have; required for a URL.
        #[arg(long)]
        sha256: Option<String>,
        /// Install a lower version than the one installed (also `[packs] allow_downgrade`).
        #[arg(long)]
        allow_downgrade: bool,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// List the installed packs, each verified again.
    List {
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Remove an installed pack.
    Remove {
        name: String,
        #[command(flatten)]
        trust: TrustArgs,
    },
}

/// Where the installed packs are and which keys are trusted.
#[derive(Debug, clap::Args)]
pub struct TrustArgs {
    /// A config whose `[packs]` table gives the folder, the trusted keys and the policy.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The installed packs' folder (overrides the config's).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// A minisign public key file trusted for the pack's publisher (repeatable).
    #[arg(long = "key")]
    keys: Vec<PathBuf>,
}

impl TrustArgs {
    fn packs(&self) -> anyhow::Result<PacksConfig> {
        let mut packs = match &self.config {
            Some(path) => packs_of(path)?,
            None => PacksConfig::default(),
        };
        if let Some(dir) = &self.dir {
            packs.dir = Some(dir.clone());
        }
        Ok(packs)
    }

    fn trust(&self, packs: &PacksConfig, publisher: &str) -> anyhow::Result<Trust> {
        let mut trust = packs.trust()?;
        for key in &self.keys {
            trust = trust.with_key_file(publisher, key)?;
        }
        Ok(trust)
    }

    fn store(&self, packs: &PacksConfig) -> anyhow::Result<(Store, PathBuf)> {
        let dir = packs.dir.clone().context("no packs folder: give --dir, or --config with `[packs] dir`")?;
        Ok((Store::new(&dir), dir))
    }
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::New { dir, name, publisher } => new(&dir, name, &publisher),
        Command::Build { dir } => build(&dir),
        Command::Sign { dir, key, archive } => sign(&dir, &key, archive.as_deref()),
        Command::Keygen { base } => {
            let id = signature::keygen(&base)?;
            println!(
                "key {id}: {} (keep it secret), {}",
                base.with_extension("key").display(),
                base.with_extension("pub").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { pack, trust } => verify(&pack, &trust),
        Command::Install { source, sha256, allow_downgrade, trust } => {
            install(&source, sha256.as_deref(), allow_downgrade, &trust)
        }
        Command::List { trust } => list(&trust),
        Command::Remove { name, trust } => {
            let (store, dir) = trust.store(&trust.packs()?)?;
            let version = store.remove(&name)?.map(|v| format!(" {v}")).unwrap_or_default();
            println!("removed {name}{version} from {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn new(dir: &Path, name: Option<String>, publisher: &str) -> anyhow::Result<ExitCode> {
    if dir.join(manifest::MANIFEST).exists() {
        anyhow::bail!("{} exists already", dir.join(manifest::MANIFEST).display());
    }
    let name = match name {
        Some(name) => name,
        None => std::path::absolute(dir)?
            .file_name()
            .and_then(|n| n.to_str())
            .context("give the pack a --name")?
            .to_string(),
    };
    let host = semver::Version::parse(rulepack::HOST_VERSION)?;
    let text = format!(
        "# The pack's manifest: `trailhound pack build` fills in [digests], `pack sign` signs it.\n\
         name = {}\nversion = \"0.1.0\"\npublisher = {}\n\
         host = \">={}.{}.0, <{}.{}.0\"\ncontract = \"0.2.0\"\n\n\
         # One table per plugin: its component and the rule files it reads, paths in the pack.\n\
         # [[plugins]]\n# name = \"detector\"\n# component = \"plugins/detector.wasm\"\n\
         # files = [\"rules/detector.yaml\"]\n# config = {{ threshold = 3 }}\n",
        toml::Value::from(name.as_str()),
        toml::Value::from(publisher),
        host.major,
        host.minor,
        host.major,
        host.minor + 1
    );
    // Checked before anything is written, so a refused name leaves nothing behind.
    let checked = scratch_in(&std::env::temp_dir())?;
    std::fs::write(checked.0.join(manifest::MANIFEST), &text)?;
    Manifest::read(&checked.0)?;
    for folder in ["plugins", "rules"] {
        std::fs::create_dir_all(dir.join(folder))?;
    }
    std::fs::write(dir.join(manifest::MANIFEST), text)?;
    println!(
        "new pack {name} in {}: put components in plugins/, rule files in rules/, list them in pack.toml",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn build(dir: &Path) -> anyhow::Result<ExitCode> {
    let (mut manifest, before) = Manifest::read(dir)?;
    let mut digests = std::collections::BTreeMap::new();
    for file in manifest.files() {
        let digest = rulepack::digest_of(&dir.join(file))
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(file).display()))?;
        println!("{digest}  {file}");
        digests.insert(file.to_string(), digest);
    }
    manifest.digests = digests;
    manifest.write(dir)?;
    let (_, after) = Manifest::read(dir)?;
    if after != before && dir.join(manifest::SIGNATURE).exists() {
        std::fs::remove_file(dir.join(manifest::SIGNATURE))?;
        eprintln!("the manifest changed, so its old signature was removed: sign it again");
    }
    println!("pack {} {}: {} file(s)", manifest.name, manifest.version, manifest.digests.len());
    Ok(ExitCode::SUCCESS)
}

fn sign(dir: &Path, key: &Path, archive_out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (manifest, bytes) = Manifest::read(dir)?;
    // Nothing unsigned-for is signed: every file must match the manifest first.
    rulepack::check_digests(dir, &manifest)?;
    let comment = format!("trailhound pack {} {} by {}", manifest.name, manifest.version, manifest.publisher);
    let text = signature::sign(&bytes, key, &comment)?;
    std::fs::write(dir.join(manifest::SIGNATURE), &text)?;
    let id = minisign::SignatureBox::from_string(&text).map(|s| signature::key_id(s.keynum()))?;
    println!("signed {} {} with key {id}", manifest.name, manifest.version);
    if let Some(out) = archive_out {
        let size = archive::write(dir, &manifest, out)?;
        println!(
            "wrote {} ({size} bytes, SHA-256 {})",
            out.display(),
            rulepack::digest_of(out).map_err(anyhow::Error::msg)?
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(pack: &Path, args: &TrustArgs) -> anyhow::Result<ExitCode> {
    let packs = args.packs()?;
    let scratch = scratch_in(&std::env::temp_dir())?;
    let dir = folder_of(pack, None, &scratch)?;
    let (manifest, _) = Manifest::read(&dir)?;
    let verified = rulepack::verify(&dir, &args.trust(&packs, &manifest.publisher)?)?;
    println!(
        "ok: {} {} by {}, {}; {} file(s) match their digests",
        manifest.name,
        manifest.version,
        manifest.publisher,
        verified.signed,
        manifest.digests.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn install(
    source: &str,
    sha256: Option<&str>,
    allow_downgrade: bool,
    args: &TrustArgs,
) -> anyhow::Result<ExitCode> {
    let packs = args.packs()?;
    if args.config.is_some() && !args.keys.is_empty() {
        anyhow::bail!(
            "--key trusts a key for this command only, and `run` would then refuse the pack: add it to [[packs.trusted]] in the config instead"
        );
    }
    let (store, dir) = args.store(&packs)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let scratch = scratch_in(&dir)?;
    let folder = if source.contains("://") {
        let sha256 = sha256.context("a pack from a URL needs --sha256 (the digest its publisher gives)")?;
        let downloaded = scratch.0.join("download.tar.gz");
        archive::download(source, sha256, &downloaded)?;
        folder_of(&downloaded, None, &scratch)?
    } else {
        folder_of(Path::new(source), sha256, &scratch)?
    };
    let (manifest, _) = Manifest::read(&folder)?;
    let trust = args.trust(&packs, &manifest.publisher)?;
    let installed = store.install(&folder, &trust, allow_downgrade || packs.allow_downgrade)?;
    let pack = &installed.pack;
    let was = installed.replaced.map(|v| format!(", replacing {v}")).unwrap_or_default();
    println!(
        "installed {} {} by {} in {} ({}{was}); plugins: {}",
        pack.manifest.name,
        pack.manifest.version,
        pack.manifest.publisher,
        pack.dir.display(),
        pack.signed,
        pack.specs().iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn list(args: &TrustArgs) -> anyhow::Result<ExitCode> {
    let packs = args.packs()?;
    let (store, dir) = args.store(&packs)?;
    let installed = store.list()?;
    let mut failed = false;
    for folder in &installed {
        let shown = Manifest::read(folder).map_err(anyhow::Error::from).and_then(|(manifest, _)| {
            let trust = args.trust(&packs, &manifest.publisher)?;
            Ok(rulepack::verify(folder, &trust)?)
        });
        match shown {
            Ok(pack) => println!(
                "{:<24} {:<10} {:<16} {} plugin(s), {}",
                pack.manifest.name,
                pack.manifest.version.to_string(),
                pack.manifest.publisher,
                pack.manifest.plugins.len(),
                pack.signed
            ),
            Err(error) => {
                failed = true;
                println!(
                    "{:<24} REFUSED: {}",
                    folder.file_name().unwrap_or_default().to_string_lossy(),
                    trailhound::text::chain(&error)
                );
            }
        }
    }
    eprintln!("{} pack(s) in {}", installed.len(), dir.display());
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The `[packs]` table of the config at `path`: the rest of the config need not be complete
/// (a file with only `[packs]` will do), but `[packs]` itself must be right.
fn packs_of(path: &Path) -> anyhow::Result<PacksConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (config, problems) = Config::parse_all(&text, path)?;
    let in_packs = |error: &trailhound::config::ConfigError| {
        error.field().is_some_and(|field| field.0.first() == Some(&Segment::Key("packs".into())))
    };
    if let Some(problem) = problems.into_iter().find(in_packs) {
        return Err(problem.into());
    }
    Ok(config.packs)
}

/// The pack folder `path` is, or the folder its archive unpacks to in `scratch` (after its
/// digest is checked against `sha256`, when one is given).
fn folder_of(path: &Path, sha256: Option<&str>, scratch: &Scratch) -> anyhow::Result<PathBuf> {
    if path.is_dir() {
        anyhow::ensure!(sha256.is_none(), "--sha256 checks an archive; {} is a folder", path.display());
        return Ok(path.to_path_buf());
    }
    if let Some(expected) = sha256 {
        archive::check_sha256(path, expected).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    let into = scratch.0.join("unpacked");
    std::fs::create_dir_all(&into)?;
    Ok(archive::unpack(path, &into)?)
}

/// A hidden folder of its own (a new name, made here, mode 0700), removed when dropped.
struct Scratch(PathBuf);

/// A new [`Scratch`] in `parent`: made with `create_dir`, which fails rather than reuse a
/// folder someone else made (a shared `/tmp`).
fn scratch_in(parent: &Path) -> anyhow::Result<Scratch> {
    use std::os::unix::fs::DirBuilderExt;
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    for attempt in 0..16u32 {
        let dir = parent.join(format!(".trailhound-pack-{}-{nanos:x}-{attempt}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(Scratch(dir)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error).with_context(|| format!("cannot make {}", dir.display())),
        }
    }
    anyhow::bail!("cannot make a scratch folder of its own in {}", parent.display())
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
