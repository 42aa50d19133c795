//! The bundled first-party pack: the plugins `scan` and `run` load when none is named, built
//! from the workspace on first use (later uses hit the component cache), with the shipped
//! rule files handed to the `rules` plugin; and the extra rule files an operator gives on the
//! command line (`--rules`, `--sigma`) or in the config's `[pack]` table.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::build::{self, BuildError, BuildOptions, BuiltPlugin};
use crate::engine::PluginSpec;

/// The plugins of the pack. `sigma` joins them when Sigma rules are given: no Sigma rules
/// ship with the project (SigmaHQ's are the operator's to choose).
pub const PLUGINS: [&str; 6] = ["baseline", "composite", "iam-risk", "rules", "s3-exposure", "storyline"];
/// The plugin that reads Falco-syntax rule files.
pub const RULES_PLUGIN: &str = "rules";
/// The plugin that reads Sigma rules.
pub const SIGMA_PLUGIN: &str = "sigma";
/// The shipped rule files, relative to the workspace.
pub const SHIPPED_RULES: &str = "pack/rules";

/// Rule files for the pack's rule-language plugins, beyond the shipped ones (`[pack]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extra {
    /// Falco-syntax rule files or folders, loaded into the `rules` plugin after the shipped
    /// rules (so they may append to or override its macros, lists and rules). Default: none.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Files or folders of Sigma rules, loaded into the `sigma` plugin. Default: none.
    #[serde(default)]
    pub sigma: Vec<PathBuf>,
}

impl Extra {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.sigma.is_empty()
    }

    /// Hands the extra files to the plugins of `specs` that read them.
    ///
    /// # Errors
    /// Files are given for a rule language none of `specs` reads; the message names the
    /// plugin that is missing.
    pub fn attach(&self, specs: &mut [PluginSpec]) -> Result<(), String> {
        for (plugin, files) in [(RULES_PLUGIN, &self.rules), (SIGMA_PLUGIN, &self.sigma)] {
            if files.is_empty() {
                continue;
            }
            let Some(spec) = specs.iter_mut().find(|s| s.name == plugin) else {
                return Err(format!(
                    "{} names {plugin} rule files, but no plugin named {plugin:?} is loaded",
                    files[0].display()
                ));
            };
            spec.files.extend(files.iter().cloned());
        }
        Ok(())
    }
}

/// The pack's plugins built from `workspace` (compiled only when the cache misses), each with
/// its files: the shipped rules for `rules`, then `extra`'s.
///
/// # Errors
/// A plugin of the pack does not build.
pub fn load(workspace: &Path, extra: &Extra) -> Result<(Vec<PluginSpec>, Vec<BuiltPlugin>), BuildError> {
    let mut only: Vec<String> = PLUGINS.map(String::from).to_vec();
    if !extra.sigma.is_empty() {
        only.push(SIGMA_PLUGIN.into());
    }
    let built = build::build(&BuildOptions { only, ..BuildOptions::new(workspace) })?;
    let mut specs: Vec<PluginSpec> =
        built.iter().map(|p| PluginSpec::new(&p.name, &p.path, serde_json::Value::Null)).collect();
    if let Some(rules) = specs.iter_mut().find(|s| s.name == RULES_PLUGIN) {
        rules.files.push(workspace.join(SHIPPED_RULES));
    }
    extra.attach(&mut specs).expect("the pack holds every rule-language plugin it is given files for");
    Ok((specs, built))
}
