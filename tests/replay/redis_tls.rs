//! The Redis replay cache over TLS (`rediss://`, feature `redis-tls`)
//! against a real TLS-only `redis-server` on a loopback port, with a CA and
//! server certificate made for the test: the cache trusts the given CA and
//! verifies the server's name, refuses a server its roots do not vouch
//! for, and combines TLS with a password.

use crate::fixtures;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use authlink::VerifyErrorKind;
use authlink::replay::redis::{RedisCacheError, RedisReplayCache};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use tokio::task::block_in_place;

use crate::redis_server::{Options, RedisServer, TlsFiles};

const CLIENT: &str = "192.0.2.7";
const PASSWORD: &str = "tls-and-a-password";

/// A test CA and a server certificate for 127.0.0.1 signed by it, written
/// to a directory removed on drop.
struct Certificates {
    dir: PathBuf,
    files: TlsFiles,
    ca_pem: String,
}

impl Certificates {
    fn make() -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "authlink test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();

        let mut server = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        server
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let server_key = KeyPair::generate().unwrap();
        let server_cert = server.signed_by(&server_key, &ca).unwrap();

        let dir = std::env::temp_dir().join(format!("authlink-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = TlsFiles {
            cert: dir.join("server.crt"),
            key: dir.join("server.key"),
            ca: dir.join("ca.crt"),
        };
        std::fs::write(&files.cert, server_cert.pem()).unwrap();
        std::fs::write(&files.key, server_key.serialize_pem()).unwrap();
        std::fs::write(&files.ca, ca.pem()).unwrap();
        Self {
            dir,
            files,
            ca_pem: ca.pem(),
        }
    }
}

impl Drop for Certificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tls_server(certificates: &Certificates) -> RedisServer {
    RedisServer::start_with(Options {
        tls: Some(certificates.files.clone()),
        ..Options::default()
    })
}

/// Over TLS with the test CA trusted: consumes work once; with the
/// system's roots only, or in plain text, connecting fails with a typed
/// error; and a password set on the server works inside `rediss://`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_with_the_ca_works_and_without_it_is_refused() {
    let certificates = block_in_place(Certificates::make);
    let server = block_in_place(|| tls_server(&certificates));
    let url = server.url();
    assert!(url.starts_with("rediss://127.0.0.1:"), "{url}");

    let cache = RedisReplayCache::builder()
        .tls_root_certificate(certificates.ca_pem.as_bytes())
        .connect(&url)
        .await
        .unwrap();
    let clock = fixtures::clock();
    let engine = fixtures::engine_with(fixtures::binding_off(), &clock);
    let link = fixtures::verified(&engine, 1, CLIENT);
    engine.consume(link.clone(), &cache).await.unwrap();
    let err = engine.consume(link, &cache).await.unwrap_err();
    assert_eq!(err.kind(), VerifyErrorKind::AlreadyUsed);

    // The system's roots do not vouch for the test CA.
    let untrusted = RedisReplayCache::connect(&url).await.unwrap_err();
    assert!(
        matches!(untrusted, RedisCacheError::Unavailable(_)),
        "{untrusted:?}"
    );
    // Plain text to a TLS-only port gets no Redis answer.
    let plain = url.replacen("rediss://", "redis://", 1);
    let plain = RedisReplayCache::builder()
        .connect_timeout(std::time::Duration::from_millis(500))
        .connect(&plain)
        .await;
    assert!(
        matches!(plain, Err(RedisCacheError::Unavailable(_))),
        "{plain:?}"
    );

    // A password on the same TLS server, given in the rediss:// URL.
    let client = redis::Client::build_with_tls(
        url.as_str(),
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(certificates.ca_pem.clone().into_bytes()),
        },
    )
    .unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg(PASSWORD)
        .query_async(&mut admin)
        .await
        .unwrap();
    let port = server.port();
    let with_password = RedisReplayCache::builder()
        .tls_root_certificate(certificates.ca_pem.as_bytes())
        .connect(&format!("rediss://:{PASSWORD}@127.0.0.1:{port}/"))
        .await
        .unwrap();
    engine
        .consume(fixtures::verified(&engine, 2, CLIENT), &with_password)
        .await
        .unwrap();
    let wrong = RedisReplayCache::builder()
        .tls_root_certificate(certificates.ca_pem.as_bytes())
        .connect(&format!("rediss://:wrong-{PASSWORD}@127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, RedisCacheError::Unavailable(_)),
        "{wrong:?}"
    );
    assert!(
        !format!("{wrong} {wrong:?}").contains(PASSWORD),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn a_root_certificate_that_is_not_pem_is_a_typed_error() {
    let err = RedisReplayCache::builder()
        .tls_root_certificate(b"not a certificate".as_slice())
        .connect("rediss://127.0.0.1:1/")
        .await
        .unwrap_err();
    assert_eq!(err, RedisCacheError::InvalidCertificate);
}
