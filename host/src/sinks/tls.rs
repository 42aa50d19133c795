//! TLS for a sink's connection (the syslog sink's `protocol = "tls"`, RFC 5425): the `tls`
//! table of a sink's config, the client settings it makes, and the handshake.
//!
//! The collector's certificate is checked against `ca_file` (PEM), or the Mozilla roots when
//! none is given, and against `server_name` (default: the host of the sink's address). A
//! client certificate (`cert_file` and `key_file`, PEM) is presented when the collector asks
//! for one (mutual TLS). Files are read when the sink opens, so a bad file fails the start or
//! the reload that names it, with the file's name.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde::Deserialize;

use super::Invalid;

/// How long a handshake may take before the connection counts as failed.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a new session waits for the collector to refuse it. With TLS 1.3 the client's
/// handshake ends before the collector has checked the client certificate; a collector that
/// refuses it says so with an alert, which a sink that only writes would never read, and
/// what it wrote would be lost.
const REFUSAL_WAIT: Duration = Duration::from_secs(1);

/// A sink's `tls` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The CA certificates (PEM) the collector's certificate must chain to; relative to the
    /// config file's folder. Default: the Mozilla root store.
    pub ca_file: Option<PathBuf>,
    /// The name the collector's certificate must carry. Default: the host of the address.
    pub server_name: Option<String>,
    /// A client certificate chain (PEM), for collectors that ask for one. Needs `key_file`.
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
}

impl TlsConfig {
    /// On failure, the key inside the sink's table (`tls.…`) and the problem.
    ///
    /// # Errors
    /// Only one of `cert_file` and `key_file`, or an empty name.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.cert_file.is_some() != self.key_file.is_some() {
            let key = if self.cert_file.is_some() { "tls.key_file" } else { "tls.cert_file" };
            return Err(Invalid { key, message: "cert_file and key_file go together".into() });
        }
        if self.server_name.as_deref().is_some_and(|name| ServerName::try_from(name).is_err()) {
            return Err(Invalid {
                key: "tls.server_name",
                message: "is not a DNS name or an IP address".into(),
            });
        }
        Ok(())
    }

    pub fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.ca_file, &mut self.cert_file, &mut self.key_file].into_iter().flatten() {
            super::resolve(path, base);
        }
    }

    /// The client settings, for connections to `address` (`host:port`).
    ///
    /// # Errors
    /// A file cannot be read or holds no certificate or key.
    pub fn client(&self, address: &str) -> anyhow::Result<TlsClient> {
        let mut roots = RootCertStore::empty();
        match &self.ca_file {
            Some(path) => {
                for cert in read_certs(path)? {
                    roots
                        .add(cert)
                        .with_context(|| format!("{}: a CA certificate rustls refuses", path.display()))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_root_certificates(roots);
        let config = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                let key_der = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| anyhow::anyhow!("{}: no private key: {e}", key.display()))?;
                builder.with_client_auth_cert(read_certs(cert)?, key_der).with_context(|| {
                    format!("{} and {} do not make a client identity", cert.display(), key.display())
                })?
            }
            _ => builder.with_no_client_auth(),
        };
        let host = match &self.server_name {
            Some(name) => name.clone(),
            None => host_of(address).to_string(),
        };
        let server_name = ServerName::try_from(host.clone()).map_err(|_| {
            anyhow::anyhow!("{host:?} is not a name a certificate can carry; set tls.server_name")
        })?;
        Ok(TlsClient { config: Arc::new(config), server_name })
    }
}

/// The host part of `host:port` (`[v6]:port` too).
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        bail!("{}: no certificate in it", path.display());
    }
    Ok(certs)
}

/// Client settings made once, for every connection of a sink.
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
}

impl TlsClient {
    /// Completes a handshake over `tcp`: the stream to write to, once the collector's
    /// certificate was accepted.
    ///
    /// # Errors
    /// The handshake failed (the collector's certificate is not trusted, say) or timed out.
    pub fn connect(&self, mut tcp: TcpStream) -> anyhow::Result<Box<dyn Write + Send>> {
        tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        tcp.set_write_timeout(Some(HANDSHAKE_TIMEOUT))?;
        let mut connection = ClientConnection::new(self.config.clone(), self.server_name.clone())
            .context("starting the TLS session")?;
        while connection.is_handshaking() {
            connection.complete_io(&mut tcp).context("TLS handshake")?;
        }
        tcp.set_read_timeout(Some(REFUSAL_WAIT))?;
        match connection.complete_io(&mut tcp) {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(anyhow::Error::new(e).context("the collector ended the TLS session")),
            Ok(_) => {
                if matches!(connection.reader().read(&mut [0; 1]), Ok(0)) {
                    bail!("the collector closed the TLS session");
                }
            }
        }
        tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        Ok(Box::new(StreamOwned::new(connection, tcp)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_the_host_of_an_address() {
        let both = TlsConfig { cert_file: Some("c.pem".into()), ..TlsConfig::default() };
        assert_eq!(both.check().unwrap_err().key, "tls.key_file");
        let bad_name = TlsConfig { server_name: Some("not a name".into()), ..TlsConfig::default() };
        assert_eq!(bad_name.check().unwrap_err().key, "tls.server_name");
        assert!(TlsConfig::default().check().is_ok());
        assert_eq!(host_of("logs.example.com:6514"), "logs.example.com");
        assert_eq!(host_of("[::1]:6514"), "::1");
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let config = TlsConfig { ca_file: Some("/nonexistent/ca.pem".into()), ..TlsConfig::default() };
        let error = config.client("127.0.0.1:6514").err().unwrap().to_string();
        assert!(error.contains("/nonexistent/ca.pem"), "{error}");
    }
}
