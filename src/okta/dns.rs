//! Name resolution for calls to Okta: every host name is resolved when a connection is made,
//! and refused when any of its addresses is inside a network (loopback, private, link-local,
//! cloud metadata and other non-public ranges), so a custom domain from `OKTA_EXTRA_HOSTS`
//! cannot later be pointed at the inside of the network. The addresses returned are the ones
//! connected to: there is no second lookup between the check and the connection.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The resolver given to the shared `reqwest::Client`.
#[derive(Clone, Default)]
pub struct GuardedResolver {
    /// Fixed answers by host name, used instead of DNS (tests: CI has no DNS).
    overrides: Arc<HashMap<String, Vec<SocketAddr>>>,
    /// `OKTA_ALLOW_INSECURE_LOOPBACK`: tests and demos run their Okta on this machine.
    allow_internal: bool,
}

impl GuardedResolver {
    pub fn new(overrides: &[(String, SocketAddr)], allow_internal: bool) -> GuardedResolver {
        let mut map: HashMap<String, Vec<SocketAddr>> = HashMap::new();
        for (host, addr) in overrides {
            map.entry(host.to_ascii_lowercase())
                .or_default()
                .push(*addr);
        }
        GuardedResolver {
            overrides: Arc::new(map),
            allow_internal,
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        let host = name.as_str().to_ascii_lowercase();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match resolver.overrides.get(&host) {
                Some(addrs) => addrs.clone(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            if !resolver.allow_internal
                && let Some(inside) = addrs.iter().find(|addr| !is_public(addr.ip()))
            {
                return Err(format!(
                    "{host} resolves to {}, an address inside a network: refused",
                    inside.ip()
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local (which
/// holds the cloud metadata service, 169.254.169.254), shared (carrier NAT), unspecified,
/// broadcast, multicast, documentation, benchmarking or reserved; IPv6 unique-local (which
/// holds AWS's fd00:ec2::254) and link-local too, and IPv4 addresses embedded in IPv6 are
/// judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let o = v6.octets();
                return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00
                || (segments[0] & 0xffc0) == 0xfe80
                || (segments[0] == 0x2001 && segments[1] == 0x0db8))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "52.6.1.1", "2600:1f18::1", "::ffff:8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_name_with_any_inside_address_is_refused_unless_allowed() {
        let overrides = [
            ("okta.example.com".to_owned(), "52.6.1.1:0".parse().unwrap()),
            ("okta.example.com".to_owned(), "10.0.0.5:0".parse().unwrap()),
            (
                "public.example.com".to_owned(),
                "52.6.1.1:0".parse().unwrap(),
            ),
        ];
        let strict = GuardedResolver::new(&overrides, false);
        let name = |n: &str| n.parse::<Name>().unwrap();
        let refused = strict.resolve(name("okta.example.com")).await;
        assert!(refused.is_err_and(|e| e.to_string().contains("10.0.0.5")));
        let public: Vec<_> = strict
            .resolve(name("public.example.com"))
            .await
            .unwrap()
            .collect();
        assert_eq!(public, ["52.6.1.1:0".parse().unwrap()]);
        let lenient = GuardedResolver::new(&overrides, true);
        assert_eq!(
            lenient
                .resolve(name("okta.example.com"))
                .await
                .unwrap()
                .count(),
            2
        );
    }
}
