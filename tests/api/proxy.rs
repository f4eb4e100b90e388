//! A TCP proxy in front of PostgreSQL that fails the way networks do: it cuts every
//! connection and refuses new ones, or cuts a connection in the middle of a commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Where a commit is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitCut {
    /// The `COMMIT` never reaches the server: it rolls the transaction back.
    BeforeTheServer,
    /// The server commits, and its answer is lost on the way back.
    AfterTheServer,
}

/// A proxy on a loopback port.
pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    generation: Arc<AtomicU64>,
    commits_to_cut: Arc<AtomicU32>,
    after_the_server: Arc<AtomicBool>,
    commits_cut: Arc<AtomicU32>,
}

impl Proxy {
    /// A proxy to the PostgreSQL server of `url`, and the URL that goes through it.
    pub async fn in_front_of(url: &str) -> (Proxy, String) {
        let real = url::Url::parse(url).unwrap();
        let target = format!(
            "{}:{}",
            real.host_str().unwrap(),
            real.port().unwrap_or(5432)
        );
        let proxy = Proxy::start(target).await;
        let mut via = real.clone();
        via.set_port(Some(proxy.port)).unwrap();
        (proxy, via.to_string())
    }

    /// A proxy to `target` (`host:port`).
    pub async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            up: Arc::new(AtomicBool::new(true)),
            generation: Arc::new(AtomicU64::new(0)),
            commits_to_cut: Arc::new(AtomicU32::new(0)),
            after_the_server: Arc::new(AtomicBool::new(false)),
            commits_cut: Arc::new(AtomicU32::new(0)),
        };
        let shared = proxy.handles();
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                if !shared.up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let shared = shared.handles();
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(&target).await {
                        shared.pipe(inbound, outbound).await;
                    }
                });
            }
        });
        proxy
    }

    fn handles(&self) -> Proxy {
        Proxy {
            port: self.port,
            up: self.up.clone(),
            generation: self.generation.clone(),
            commits_to_cut: self.commits_to_cut.clone(),
            after_the_server: self.after_the_server.clone(),
            commits_cut: self.commits_cut.clone(),
        }
    }

    /// Copies both ways until either side closes, the proxy cuts everything, or a
    /// commit is to be cut.
    async fn pipe(&self, inbound: TcpStream, outbound: TcpStream) {
        let born = self.generation.load(Ordering::SeqCst);
        let (mut from_client, mut to_client) = inbound.into_split();
        let (mut from_server, mut to_server) = outbound.into_split();
        // Set once a commit is being cut: nothing more reaches the client.
        let muted = AtomicBool::new(false);
        let upstream = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match from_client.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                if contains(chunk, b"COMMIT") && self.take_commit_to_cut() {
                    muted.store(true, Ordering::SeqCst);
                    if self.after_the_server.load(Ordering::SeqCst) {
                        let _ = to_server.write_all(chunk).await;
                        // Let the server commit before the line goes dead.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    self.commits_cut.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                if to_server.write_all(chunk).await.is_err() {
                    return;
                }
            }
        };
        let downstream = async {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match from_server.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if muted.load(Ordering::SeqCst) {
                    // Swallowed: the answer to the commit is lost.
                    continue;
                }
                if to_client.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        };
        let cut = async {
            while self.generation.load(Ordering::SeqCst) == born {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            _ = upstream => {}
            _ = downstream => {}
            _ = cut => {}
        }
    }

    fn take_commit_to_cut(&self) -> bool {
        self.commits_to_cut
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Cuts every open connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// Cuts the connection of each of the next `n` commits, at `when`.
    pub fn cut_next_commits(&self, n: u32, when: CommitCut) {
        self.after_the_server
            .store(when == CommitCut::AfterTheServer, Ordering::SeqCst);
        self.commits_to_cut.store(n, Ordering::SeqCst);
    }

    /// How many commits were cut so far.
    pub fn commits_cut(&self) -> u32 {
        self.commits_cut.load(Ordering::SeqCst)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
