//! What a run learned of secrets holds across `runbook resume`: the pieces
//! of a secret an output's dropped middle cut in two, and a token the run
//! captured, are redacted after the resume as before it, whether the run
//! waited at a question or was killed (SIGKILL). Every byte the resumed
//! process writes (stdout, stderr, each record file) is searched.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::http_server::{Server, respond};
use crate::{Scratch, Test};

/// Bytes of an output kept at each end: the middle of a longer one is
/// dropped.
const HALF: usize = 512 * 1024;

const SECRET: &str = "S3cr3tTok-xy9Q";
const TOKEN: &str = "RunTok-ABCDEFGH12";

/// How the first process stops before the step that echoes the pieces.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// At a question without an answer (exit 5); resumed with the answer.
    Question,
    /// Killed with SIGKILL during a step that waits; resumed.
    Killed,
}

/// The step between the cut and the echo, for each way of stopping.
fn pause(stop: Stop) -> &'static str {
    match stop {
        Stop::Question => r#"ask: { type: confirm, question: "Go on?" }"#,
        // Waits only the first time (the resume runs it again), its process
        // group's id in `begun`.
        Stop::Killed => {
            r"check: { cmd: { sh: 'if [ ! -e begun ]; then echo $$ > started; mv started begun; sleep 60; fi' } }"
        }
    }
}

/// A command printing `head`, then `secret` (its first `into_head` bytes
/// end the kept head), a middle that is dropped, `secret` again (its last
/// `into_tail` bytes begin the kept tail), and the tail.
fn cutting(secret_env: &str, into_head: usize, into_tail: usize) -> String {
    format!(
        "argv: [python3, -c, \"import os,sys; s=os.environ['{secret_env}'].encode(); \
         sys.stdout.buffer.write(b'A'*({HALF}-{into_head})+s+b'B'*{HALF}+s+b'C'*({HALF}-{into_tail}))\"]"
    )
}

/// Runs the runbook in `dir` until it stops as `stop` says, then resumes
/// it (with `answer` for a question): the resumed process's stdout and
/// stderr.
fn run_and_resume(dir: &Path, stop: Stop, env: &[(&str, &str)]) -> (String, String) {
    let run = ["run", "runbook.yaml", "--non-interactive", "--verbose", "--record-dir", "rec"];
    match stop {
        Stop::Question => {
            let mut test = Test::new().in_dir(dir).args(run);
            for (name, value) in env {
                test = test.env(name, value);
            }
            test.status(5);
        }
        Stop::Killed => {
            let mut child = Command::new(env!("CARGO_BIN_EXE_runbook"));
            child.current_dir(dir).args(run).stdout(Stdio::null()).stderr(Stdio::null());
            for (name, value) in env {
                child.env(name, value);
            }
            let mut child = child.spawn().unwrap();
            let started = Instant::now();
            while !dir.join("begun").exists() {
                assert!(started.elapsed() < Duration::from_secs(60), "the run never reached `pause`");
                std::thread::sleep(Duration::from_millis(20));
            }
            child.kill().unwrap();
            child.wait().unwrap();
            // SIGKILL left the step's `sleep` running: stop it.
            let group: i32 = std::fs::read_to_string(dir.join("begun")).unwrap().trim().parse().unwrap();
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(-group), nix::sys::signal::Signal::SIGKILL);
        }
    }
    let mut resume = Test::new().in_dir(dir).args(["resume", "rec", "--non-interactive", "--verbose"]);
    if matches!(stop, Stop::Question) {
        resume = resume.args(["--answer", "pause=yes"]);
    }
    for (name, value) in env {
        resume = resume.env(name, value);
    }
    let output = resume.status(0);
    (output.stdout, output.stderr)
}

/// Every byte the resumed process wrote, and each record file.
fn sinks(dir: &Path, stdout: String, stderr: String) -> Vec<(String, String)> {
    let mut found = vec![("stdout".to_owned(), stdout), ("stderr".to_owned(), stderr)];
    for name in ["journal.jsonl", "record.json", "record.md"] {
        let text = String::from_utf8_lossy(&std::fs::read(dir.join("rec").join(name)).unwrap()).into_owned();
        found.push((name.to_owned(), text));
    }
    found
}

#[track_caller]
fn assert_nowhere(sinks: &[(String, String)], canaries: &[&str]) {
    for (sink, text) in sinks {
        for canary in canaries {
            assert!(!text.contains(canary), "`{canary}` reached {sink} after the resume:\n{}", excerpt(text, canary));
        }
    }
}

/// The lines of `text` holding `canary`.
fn excerpt(text: &str, canary: &str) -> String {
    text.lines()
        .filter(|line| line.contains(canary))
        .map(|line| line.chars().take(300).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_pieces_of_a_secret_input_cut_by_a_dropped_middle_stay_redacted_after_a_resume() {
    let (head, tail) = (&SECRET[..7], &SECRET[SECRET.len() - 6..]);
    for stop in [Stop::Question, Stop::Killed] {
        let dir = Scratch::new();
        let yaml = format!(
            r#"
id: pieces
title: Pieces across a resume
inputs:
  tok: {{ env: MYTOK, secret: true }}
steps:
  - id: big
    check:
      cmd:
        {cut}
        env: {{ T: "{{{{ inputs.tok }}}}" }}
    next: pause
  - id: pause
    {pause}
    next: echo
  - id: echo
    check:
      cmd: {{ sh: 'printf "first 7: %.7s last 6: %s\n" "$T" "${{T#????????}}"', env: {{ T: "{{{{ inputs.tok }}}}" }} }}
    next: end
  - id: end
    conclude: {{ status: resolved, diagnosis: done }}
"#,
            cut = cutting("T", 7, 6),
            pause = pause(stop)
        );
        std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
        let (stdout, stderr) = run_and_resume(dir.path(), stop, &[("MYTOK", SECRET)]);
        let sinks = sinks(dir.path(), stdout, stderr);
        assert_nowhere(&sinks, &[SECRET, head, tail]);
        let record = &sinks[3].1;
        assert!(
            record.contains("first 7: [redacted:tok] last 6: [redacted:tok]"),
            "{stop:?}: {}",
            excerpt(record, "first 7")
        );
        let journal = &sinks[2].1;
        assert!(journal.contains(r#""known_by":"piece""#), "{stop:?}: the journal keeps where the pieces lie");
    }
}

#[test]
fn a_token_the_run_captured_and_its_pieces_stay_redacted_after_a_resume() {
    let server = Server::start(|request, stream| {
        let body = if request.path.starts_with("/piece") {
            format!("head={} tail={}", &TOKEN[..7], &TOKEN[TOKEN.len() - 6..])
        } else {
            serde_json::json!({ "access_token": TOKEN, "note": "hello" }).to_string()
        };
        respond(stream, "200 OK", &[("content-type", "application/json"), ("x-echo", TOKEN)], body.as_bytes())
    });
    for stop in [Stop::Question, Stop::Killed] {
        let dir = Scratch::new();
        let yaml = format!(
            r#"
id: obtained
title: A captured token across a resume
steps:
  - id: login
    check:
      http: {{ url: "{login}" }}
      capture:
        token: {{ json: $.access_token }}
    next: use
  - id: use
    check:
      http: {{ url: "{login}", headers: {{ Authorization: "Bearer {{{{ vars.token }}}}" }} }}
    next: big
  - id: big
    check:
      cmd:
        {cut}
        env: {{ T: "{{{{ vars.token }}}}" }}
    next: pause
  - id: pause
    {pause}
    next: again
  - id: again
    check:
      http: {{ url: "{login}" }}
    next: piece
  - id: piece
    check:
      http: {{ url: "{piece}" }}
    next: end
  - id: end
    conclude: {{ status: resolved, diagnosis: done }}
"#,
            login = server.url("/login"),
            piece = server.url("/piece"),
            cut = cutting("T", 7, 6),
            pause = pause(stop)
        );
        std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
        let (stdout, stderr) = run_and_resume(dir.path(), stop, &[]);
        let sinks = sinks(dir.path(), stdout, stderr);
        assert_nowhere(&sinks, &[TOKEN, &TOKEN[..7], &TOKEN[TOKEN.len() - 6..]]);
        let record = &sinks[3].1;
        for shown in [r#"{\"access_token\":\"[redacted:token]\""#, "head=[redacted:token] tail=[redacted:token]"] {
            assert!(record.contains(shown), "{stop:?}: {shown} in\n{}", excerpt(record, "redacted:token"));
        }
        let journal = &sinks[2].1;
        assert!(journal.contains(r#""known_by":"fingerprint""#), "{stop:?}: the journal keeps fingerprints");
    }
}

/// A `call` the resumed process runs concludes with values of its own: a
/// placeholder in its conclusion was made by this process, not read back
/// from the journal, and the caller's next step may send it as the unkilled
/// run does (review-8-attack3 M3).
#[test]
fn a_call_run_after_a_resume_is_not_taken_for_values_read_back_redacted() {
    let callee = r#"
id: callee
title: Callee
inputs:
  key: { secret: true }
steps:
  - id: c1
    check:
      cmd: { sh: 'echo "k=$K"', env: { K: "{{ inputs.key }}" } }
      capture:
        got: { regex: "k=(\\S+)" }
  - id: done
    conclude: { status: resolved, diagnosis: "callee done {{ vars.got }}" }
"#;
    for stop in [Stop::Question, Stop::Killed] {
        let dir = Scratch::new();
        let calling = format!(
            r#"
id: caller
title: Caller
inputs:
  k: {{ default: "CallerKey-77ZZqq" }}
steps:
  - id: pause
    {pause}
    next: c
  - id: c
    call:
      runbook: callee.yaml
      inputs: {{ key: "{{{{ inputs.k }}}}" }}
    on: {{ resolved: after }}
  - id: after
    check:
      cmd: {{ sh: 'echo "after $D"', env: {{ D: "{{{{ steps.c.conclusion.diagnosis }}}}" }} }}
  - id: end
    conclude: {{ status: resolved, diagnosis: done }}
"#,
            pause = pause(stop)
        );
        std::fs::write(dir.path().join("runbook.yaml"), calling).unwrap();
        std::fs::write(dir.path().join("callee.yaml"), callee).unwrap();
        let (stdout, _) = run_and_resume(dir.path(), stop, &[]);
        assert!(stdout.contains("after callee done [redacted:key]"), "{stop:?}: {stdout}");
    }
}

/// What a `call` or a service makes of a secret *input* (upper-cased, a
/// slice, reversed) is never fingerprinted in the journal: with the salt
/// beside it, the digest would let a weak password be guessed offline
/// (review-8-attack4 H1). A token that shares nothing with the input is.
#[test]
fn nothing_made_of_a_secret_input_is_fingerprinted_in_the_journal() {
    let server = Server::start(|request, stream| {
        let value = request.path.split("v=").nth(1).unwrap_or_default().to_owned();
        let token = match request.path.split("f=").nth(1).and_then(|rest| rest.split('&').next()) {
            Some("upper") => value.to_uppercase(),
            Some("head") => value.chars().take(6).collect(),
            Some("rev") => value.chars().rev().collect(),
            _ => "Unrelated-Tok-0042".to_owned(),
        };
        let body = serde_json::json!({ "access_token": token }).to_string();
        respond(stream, "200 OK", &[("content-type", "application/json")], body.as_bytes())
    });
    let callee = r#"
id: callee
title: Callee
inputs:
  key: { secret: true }
steps:
  - id: c1
    check: { cmd: { sh: 'printf %s "$K" | wc -c', env: { K: "{{ inputs.key }}" } } }
  - id: done
    conclude: { status: resolved, diagnosis: ok }
"#;
    let mut steps = String::new();
    for (id, key) in
        [("upper", "{{ inputs.pw | upper }}"), ("part", "{{ inputs.pw[:5] }}"), ("tail", "{{ inputs.pw[2:] }}")]
    {
        let _ = writeln!(steps, "  - id: c_{id}\n    call: {{ runbook: callee.yaml, inputs: {{ key: \"{key}\" }} }}");
    }
    for via in ["upper", "head", "rev", "other"] {
        let _ = writeln!(
            steps,
            "  - id: login_{via}\n    check:\n      http: {{ url: \"{}\" }}\n      capture: {{ token_{via}: {{ json: $.access_token, secret: true }} }}",
            server.url(&format!("/mirror?f={via}&v={{{{ inputs.pw | urlencode }}}}"))
        );
    }
    let yaml = format!(
        "id: derived\ntitle: Derived\ninputs:\n  pw: {{ env: MYPW, secret: true }}\nsteps:\n{steps}  - id: pause\n    ask: {{ type: confirm, question: \"Go on?\" }}\n  - id: end\n    conclude: {{ status: resolved, diagnosis: done }}\n"
    );
    let dir = Scratch::new();
    std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("callee.yaml"), callee).unwrap();
    Test::new()
        .in_dir(dir.path())
        .env("MYPW", "hunter22")
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let journal = std::fs::read_to_string(dir.path().join("rec/journal.jsonl")).unwrap();
    let learned: Vec<&str> = journal.lines().filter(|line| line.contains("secrets_learned")).collect();
    assert!(
        learned.iter().all(|line| line.contains(r#""step":"login_other""#)),
        "only the unrelated token is fingerprinted: {learned:#?}"
    );
    assert_eq!(learned.len(), 1, "{learned:#?}");
}

/// A journal whose secrets cannot be read back is refused by `runbook
/// resume` (and its salt by `runbook record`), naming the line, before
/// anything is written: a missing or unreadable `secret_salt` turned
/// redaction of the obtained token off, and a piece out of the secret given
/// again was dropped (review-8-attack4 M3). Each journal is edited on disk.
#[test]
fn a_journal_whose_secrets_do_not_read_back_is_refused_naming_the_line() {
    let yaml = r#"
id: damaged
title: A damaged journal
inputs:
  tok: { env: MYTOK, secret: true }
steps:
  - id: login
    check:
      cmd: { sh: 'printf "token=RunTok-%s head=%s" ABCDEFGH12 "$P"', env: { P: "{{ inputs.tok[:6] }}" } }
      capture:
        token: { regex: "token=(\\S+)", secret: true }
  - id: pause
    ask: { type: confirm, question: "Go on?" }
  - id: again
    check:
      cmd: { sh: 'echo again RunTok-ABCDEFGH12 $P', env: { P: "{{ inputs.tok[:6] }}" } }
  - id: end
    conclude: { status: resolved, diagnosis: done }
"#;
    let dir = Scratch::new();
    std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
    let first = Test::new()
        .in_dir(dir.path())
        .env("MYTOK", SECRET)
        .args(["run", "runbook.yaml", "--non-interactive", "--format", "json", "--record-dir", "rec"])
        .status(5);
    let rec = dir.path().join("rec");
    let files = || ["journal.jsonl", "record.json", "record.md"].map(|name| std::fs::read(rec.join(name)).unwrap());
    let journal = String::from_utf8(files()[0].clone()).unwrap();
    let line_of = |needle: &str| journal.lines().position(|line| line.contains(needle)).unwrap() + 1;
    let salt = journal.split(r#""secret_salt":""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    // Only the journal holds the salt (code review L9).
    let record = String::from_utf8(files()[1].clone()).unwrap();
    for (sink, text) in [("the JSON output", &first.stdout), ("record.json", &record)] {
        assert!(text.contains("run_started") || text.contains(r#""run""#), "{sink}: {text}");
        assert!(!text.contains("secret_salt") && !text.contains(&salt), "{sink} shows the salt");
    }
    let piece = r#"{"known_by":"piece","name":"tok","form":0,"from":0,"to":6}"#;
    let (piece_line, print_line) = (line_of(piece), line_of(r#""known_by":"fingerprint""#));
    let digest = journal.split(r#""sha256":""#).nth(2).unwrap().split('"').next().unwrap().to_owned();
    let resume = |token: &str| {
        Test::new().in_dir(dir.path()).env("MYTOK", token).args([
            "resume",
            "rec",
            "--non-interactive",
            "--answer",
            "pause=yes",
        ])
    };
    for (edited, status, why, record_too) in [
        (
            journal.replace(&format!(r#","secret_salt":"{salt}""#), ""),
            1,
            "line 1 is not a journal entry: its `run_started` has no `secret_salt`".to_owned(),
            true,
        ),
        (
            journal.replace(&salt, "zz"),
            1,
            "line 1 is not a journal entry: its `secret_salt` `zz` is not the 32 hex digits".to_owned(),
            true,
        ),
        (
            journal.replace(&salt, &salt[..8]),
            1,
            format!("its `secret_salt` `{}` is not the 32 hex digits", &salt[..8]),
            true,
        ),
        (
            journal.replace(piece, &piece.replace(r#""to":6"#, r#""to":600"#)),
            2,
            format!(
                "line {piece_line} of the journal: the run learned a piece of secret `tok` (bytes 0 to 600 of its form 0)"
            ),
            false,
        ),
        (
            journal.replace(piece, &piece.replace(r#""form":0"#, r#""form":99"#)),
            2,
            format!(
                "line {piece_line} of the journal: the run learned a piece of secret `tok` (bytes 0 to 6 of its form 99)"
            ),
            false,
        ),
        (
            journal.replace(piece, &piece.replace(r#""from":0"#, r#""from":6"#)),
            1,
            format!(
                "line {piece_line} is not a journal entry: step `login` learned a piece of secret `tok` from byte 6 to byte 6"
            ),
            true,
        ),
        (
            journal.replace(&digest, "c0ffee"),
            1,
            format!(
                "line {print_line} is not a journal entry: step `login` learned a fingerprint of `token`, but its sha256 `c0ffee` is not 64 hex digits"
            ),
            true,
        ),
    ] {
        assert_ne!(edited, journal, "{why}");
        std::fs::write(rec.join("journal.jsonl"), &edited).unwrap();
        let before = files();
        let refused = resume(SECRET).status(status);
        assert!(refused.stderr.contains(&why), "expected `{why}` in:\n{}", refused.stderr);
        assert_eq!(files(), before, "{why}: nothing is written");
        if record_too {
            let refused = Test::new().in_dir(dir.path()).args(["record", "rec"]).status(1);
            assert!(refused.stderr.contains(&why), "`runbook record`: expected `{why}` in:\n{}", refused.stderr);
            assert_eq!(files(), before, "{why}: `runbook record` writes nothing");
        }
    }
    // The piece of a secret given again with another value is not in it:
    // refused too, rather than redacting nothing.
    std::fs::write(rec.join("journal.jsonl"), &journal).unwrap();
    let refused = resume("short").status(2);
    assert!(refused.stderr.contains(&format!("line {piece_line} of the journal")), "{}", refused.stderr);
    let output = resume(SECRET).status(0);
    let sinks = sinks(dir.path(), output.stdout, output.stderr);
    assert!(sinks[2].1.contains("again [redacted:token] [redacted:tok]"), "{}", excerpt(&sinks[2].1, "again"));
    assert_nowhere(&sinks, &[SECRET, &SECRET[..6], "RunTok-ABCDEFGH12"]);
}

/// A token the run captured, obtained again by the resumed process under
/// a name that is not secret and sent in a URL's path and query: the
/// encodings the engine itself makes of it there (a path keeps `+` and
/// `:`, a query keeps `/`) are redacted after the resume as before it,
/// in the terminal, the journal and the record (code review H2: only the
/// fully percent-encoded form was fingerprinted, so these were written in
/// clear).
#[test]
fn a_token_known_by_fingerprint_is_redacted_in_every_form_a_url_gives_it() {
    const ODD: &str = "Tok+en/Run=42:ab@cd!ef";
    let forms = [
        ODD,
        // In a path segment: `/` and `=` encoded, `+ : @ !` kept.
        "Tok+en%2FRun%3D42:ab@cd!ef",
        // In a query: `+` and `=` encoded, `/ : @ !` kept.
        "Tok%2Ben/Run%3D42:ab@cd!ef",
        // Everything but the unreserved characters encoded.
        "Tok%2Ben%2FRun%3D42%3Aab%40cd%21ef",
        // `| urlencode` in a query: its `/` kept.
        "Tok%2Ben/Run%3D42%3Aab%40cd%21ef",
    ];
    let server = Server::start(|request, stream| {
        let body = if request.path.starts_with("/login") {
            serde_json::json!({ "access_token": ODD }).to_string()
        } else {
            "ok".to_owned()
        };
        respond(stream, "200 OK", &[("content-type", "application/json")], body.as_bytes())
    });
    for stop in [Stop::Question, Stop::Killed] {
        let dir = Scratch::new();
        let yaml = format!(
            r#"
id: in-a-url
title: A captured token sent in a URL after a resume
steps:
  - id: login
    check:
      http: {{ url: "{login}" }}
      capture:
        token: {{ json: $.access_token, secret: true }}
    next: pause
  - id: pause
    {pause}
    next: again
  - id: again
    check:
      http: {{ url: "{login}" }}
      capture:
        plain: {{ json: $.access_token }}
    next: send
  - id: send
    check:
      http: {{ url: "{base}/use/{{{{ vars.plain }}}}/x?t={{{{ vars.plain }}}}&u={{{{ vars.plain | urlencode }}}}" }}
    next: end
  - id: end
    conclude: {{ status: resolved, diagnosis: done }}
"#,
            login = server.url("/login"),
            base = server.url(""),
            pause = pause(stop)
        );
        std::fs::write(dir.path().join("runbook.yaml"), yaml).unwrap();
        let (stdout, stderr) = run_and_resume(dir.path(), stop, &[]);
        let sinks = sinks(dir.path(), stdout, stderr);
        assert_nowhere(&sinks, &forms);
        let journal = &sinks[2].1;
        assert!(
            journal.contains("/use/[redacted:token]/x?t=[redacted:token]&u=[redacted:token]"),
            "{stop:?}: {}",
            excerpt(journal, "/use/")
        );
    }
}

/// What whoever holds the journal learns of a short value the run
/// obtained (a 4-digit PIN): with a secret input, nothing, since its
/// fingerprint is keyed with the input's value, which the journal does not
/// hold; trying every PIN with the journal's salt finds none. Without one,
/// the salt alone keys it and the PIN is found (the documented limit).
/// A resume given the input again redacts the PIN as before
/// (review-8-attack4 L6, code review H1).
#[test]
fn a_short_obtained_value_cannot_be_guessed_from_the_journal_of_a_run_with_a_secret_input() {
    let runbook = |inputs: &str| {
        format!(
            r#"
id: pin
title: A short obtained value
{inputs}
steps:
  - id: issue
    check:
      cmd: {{ sh: 'printf "pin=%s%s" 42 42' }}
      capture:
        pin: {{ regex: "pin=(\\d{{4}})", secret: true }}
  - id: pause
    ask: {{ type: confirm, question: "Go on?" }}
  - id: shown
    check:
      cmd: {{ sh: 'echo "the pin was 4242"' }}
  - id: end
    conclude: {{ status: resolved, diagnosis: done }}
"#
        )
    };
    let guessed = |journal: &str| {
        let salt = journal.split(r#""secret_salt":""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
        let digests: Vec<&str> =
            journal.split(r#""sha256":""#).skip(2).map(|rest| rest.split('"').next().unwrap()).collect();
        assert!(!digests.is_empty(), "the PIN is fingerprinted: {journal}");
        let output = Command::new("python3")
            .args(["-c", "import hashlib,sys; salt=bytes.fromhex(sys.argv[1]); want=set(sys.argv[2:]); print(next((g for g in (f'{n:04}' for n in range(10000)) if hashlib.sha256(salt+g.encode()).hexdigest() in want), ''))", &salt])
            .args(&digests)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    for (inputs, env, found) in
        [("inputs:\n  key: { env: MYKEY, secret: true }", Some(("MYKEY", "K3y-of-the-run-77")), ""), ("", None, "4242")]
    {
        let dir = Scratch::new();
        std::fs::write(dir.path().join("runbook.yaml"), runbook(inputs)).unwrap();
        let mut run =
            Test::new().in_dir(dir.path()).args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"]);
        if let Some((name, value)) = env {
            run = run.env(name, value);
        }
        run.status(5);
        let journal = std::fs::read_to_string(dir.path().join("rec/journal.jsonl")).unwrap();
        assert_eq!(guessed(&journal), found, "{inputs:?}");
        assert_eq!(journal.contains(r#""secret_keyed_by":["key"]"#), env.is_some(), "{journal}");
        let mut resume =
            Test::new().in_dir(dir.path()).args(["resume", "rec", "--non-interactive", "--answer", "pause=yes"]);
        if let Some((name, value)) = env {
            resume = resume.env(name, value);
        }
        let output = resume.status(0);
        let sinks = sinks(dir.path(), output.stdout, output.stderr);
        // (`4242` alone may turn up in a hex digest.)
        assert_nowhere(&sinks, &["pin=4242", "was 4242", "\"4242\""]);
        assert!(sinks[2].1.contains("the pin was [redacted:pin]"), "{}", excerpt(&sinks[2].1, "the pin"));
    }
}
