//! Real `nginx` and `redis-server` instances for the seed runbook tests, and
//! executable stand-in scripts for the commands a test machine lacks (docker,
//! systemctl). Each service listens on its own free loopback port, keeps its
//! configuration and temporary files in its own directory, and is killed when
//! dropped. A missing binary fails the test with the command that installs it
//! (`.ci/run` does): nothing is skipped silently.

use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A port nothing listens on right now (the kernel's pick, released at once).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free loopback port").port()
}

/// The path of an installed program, or a failed test saying how to install it.
fn installed(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("`{program}` is not installed; these tests need it: apt-get install -y {package}"))
}

/// Waits until `port` accepts connections, or panics with the service's log.
fn wait_listening(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on 127.0.0.1:{port} within 10s:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// An executable script in a directory of its own, standing in for a command.
pub(crate) fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write stand-in script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("make the script executable");
    path
}

/// A real nginx reverse proxy in front of one upstream port.
pub(crate) struct Nginx {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Proxies every request to `127.0.0.1:upstream`, giving up on the
    /// upstream after one second (so a hung upstream is a quick 504).
    pub(crate) fn proxy_to(upstream: u16) -> Self {
        let binary = installed("nginx", "nginx");
        let dir = tempfile::tempdir().expect("nginx directory");
        let root = dir.path().display().to_string();
        let port = free_port();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {root}/body;\n  proxy_temp_path {root}/proxy;\n  \
             fastcgi_temp_path {root}/fastcgi;\n  uwsgi_temp_path {root}/uwsgi;\n  scgi_temp_path {root}/scgi;\n  \
             server {{\n    listen 127.0.0.1:{port};\n    location / {{\n      proxy_pass http://127.0.0.1:{upstream};\n      \
             proxy_connect_timeout 1s;\n      proxy_read_timeout 1s;\n    }}\n  }}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), config).expect("write nginx.conf");
        let log = dir.path().join("error.log");
        let child = Command::new(binary)
            .args(["-p", &root, "-e", &log.display().to_string(), "-c", &format!("{root}/nginx.conf")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        wait_listening(port, "nginx", &log);
        Self { port, child, _dir: dir }
    }

    /// The proxy's URL for `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        kill(&mut self.child);
    }
}

/// A real redis-server without persistence, that a test can stop and start
/// again on the same port. It listens on 127.0.0.1, 127.0.0.2 and ::1 (when
/// the machine has IPv6), so every loopback spelling reaches it.
pub(crate) struct Redis {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    password: Option<String>,
}

impl Redis {
    pub(crate) fn start() -> Self {
        Self::launch(None)
    }

    /// A server that refuses every command until a client sends AUTH with `password`.
    pub(crate) fn start_requiring(password: &str) -> Self {
        Self::launch(Some(password.to_owned()))
    }

    fn launch(password: Option<String>) -> Self {
        let mut redis =
            Self { port: free_port(), dir: tempfile::tempdir().expect("redis directory"), child: None, password };
        redis.restart();
        redis
    }

    /// Starts the server again after [`Redis::stop`].
    pub(crate) fn restart(&mut self) {
        let binary = installed("redis-server", "redis-server");
        let log = self.dir.path().join("redis.log");
        let child = Command::new(binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "127.0.0.2", "-::1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"])
            .args(["--dir", &self.dir.path().display().to_string(), "--logfile", &log.display().to_string()])
            .args(self.password.iter().flat_map(|password| ["--requirepass", password.as_str()]))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        wait_listening(self.port, "redis-server", &log);
    }

    /// Kills the server: its port refuses connections until a restart.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill(&mut child);
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
