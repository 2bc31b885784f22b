//! A curl command line read as the HTTP request it sends, for
//! `runbook new --from-curl`: people already have the curl line that
//! checks their service, in a wiki or their shell history.

/// What a curl command line asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CurlRequest {
    /// The URL.
    pub url: String,
    /// `-X`, or `POST` when a body is given, `HEAD` with `-I`.
    pub method: Option<String>,
    /// `-H NAME: VALUE`, `-A`, `-e`, `-b`, in order.
    pub headers: Vec<(String, String)>,
    /// `-d`, `--data-raw`, `--data-binary`.
    pub body: Option<String>,
    /// `--json`.
    pub json: Option<String>,
    /// `-m`/`--max-time`, seconds as written.
    pub max_time: Option<String>,
    /// `--connect-timeout`, seconds as written.
    pub connect_timeout: Option<String>,
    /// `-L`: curl does not follow redirects without it.
    pub follow_redirects: bool,
    /// `-k`/`--insecure`.
    pub insecure: bool,
    /// `--cacert FILE`.
    pub ca_file: Option<String>,
    /// `-f`/`--fail`: any status under 400 passes.
    pub fail_on_error: bool,
    /// What is not converted, one warning each (options understood but
    /// with no runbook equivalent, unknown ones, credentials): "`-o` is not
    /// converted".
    pub ignored: Vec<String>,
}

/// Options that only change what curl prints, or how it retries: no
/// runbook meaning, no argument.
const SILENT_FLAGS: &[&str] = &[
    "-s",
    "--silent",
    "-S",
    "--show-error",
    "-v",
    "--verbose",
    "-i",
    "--include",
    "--compressed",
    "-g",
    "--globoff",
    "-#",
    "--progress-bar",
    "--no-progress-meter",
    "-N",
    "--no-buffer",
];

/// Options that take an argument and have no runbook meaning.
const IGNORED_WITH_ARGUMENT: &[&str] =
    &["-o", "--output", "-w", "--write-out", "--retry", "--retry-delay", "--retry-max-time", "-x", "--proxy"];

/// Parses a curl command line (as a POSIX shell would split it).
pub(crate) fn parse(line: &str) -> Result<CurlRequest, String> {
    let words = split(line)?;
    let mut words = words.into_iter();
    match words.next() {
        Some(first) if first == "curl" || first.ends_with("/curl") => {}
        Some(first) => return Err(format!("expected a curl command line, starting with `curl`, not `{first}`")),
        None => return Err("the curl command line is empty".to_owned()),
    }
    let mut request = CurlRequest::default();
    let mut head = false;
    while let Some(word) = words.next() {
        if let Some((name, _)) = word.split_once('=').filter(|(name, _)| name.starts_with("--")) {
            return Err(format!(
                "curl does not accept `{word}`: an option's value is the next word (`{name} VALUE`), as curl reads it"
            ));
        }
        for (option, inline) in options_in(&word) {
            let mut argument = |name: &str| -> Result<String, String> {
                inline.clone().or_else(|| words.next()).ok_or_else(|| format!("curl option `{name}` needs a value"))
            };
            match option.as_str() {
                "-X" | "--request" => request.method = Some(argument(&option)?.to_uppercase()),
                "-H" | "--header" => {
                    let header = argument(&option)?;
                    let (name, value) = header
                        .split_once(':')
                        .ok_or_else(|| format!("header `{header}` has no `:` between its name and value"))?;
                    request.headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                "-A" | "--user-agent" => request.headers.push(("User-Agent".to_owned(), argument(&option)?)),
                "-e" | "--referer" => request.headers.push(("Referer".to_owned(), argument(&option)?)),
                "-b" | "--cookie" => request.headers.push(("Cookie".to_owned(), argument(&option)?)),
                "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii" => {
                    let data = argument(&option)?;
                    if data.starts_with('@') {
                        return Err(format!("`{option} {data}` reads a file; a runbook needs the body written in it"));
                    }
                    request.body = Some(match request.body.take() {
                        Some(previous) => format!("{previous}&{data}"),
                        None => data,
                    });
                }
                "--json" => request.json = Some(argument(&option)?),
                "-m" | "--max-time" => request.max_time = Some(argument(&option)?),
                "--connect-timeout" => request.connect_timeout = Some(argument(&option)?),
                "-L" | "--location" => request.follow_redirects = true,
                "-k" | "--insecure" => request.insecure = true,
                "--cacert" => request.ca_file = Some(argument(&option)?),
                "-f" | "--fail" | "--fail-with-body" => request.fail_on_error = true,
                "-I" | "--head" => head = true,
                "--url" => request.url = argument(&option)?,
                "-u" | "--user" => {
                    argument(&option)?;
                    request.ignored.push(format!(
                        "`{option}` is not converted: give the credentials as a secret input and an \
                         `Authorization` header instead"
                    ));
                }
                flag if SILENT_FLAGS.contains(&flag) => {}
                flag if IGNORED_WITH_ARGUMENT.contains(&flag) => {
                    argument(&option)?;
                    request.ignored.push(not_converted(flag));
                }
                flag if takes_value(flag) => {
                    argument(&option)?;
                    request.ignored.push(not_converted(flag));
                }
                flag if flag.starts_with('-') && flag.len() > 1 => request.ignored.push(not_converted(flag)),
                _ if request.url.is_empty() => request.url.clone_from(&word),
                _ => {
                    return Err(format!(
                        "more than one URL (`{}` and `{word}`); a check sends one request",
                        request.url
                    ));
                }
            }
        }
    }
    if request.url.is_empty() {
        return Err("the curl command line has no URL".to_owned());
    }
    if !request.url.contains("://") {
        request.url = format!("http://{}", request.url);
    }
    if let Some(without) = without_userinfo(&request.url) {
        request.url = without;
        request.ignored.push(
            "the user name and password in the URL are not converted (never written into the runbook): declare a \
             secret input and write `https://USER:{{ inputs.NAME | urlencode }}@…` in `url:`"
                .to_owned(),
        );
    }
    if request.method.is_none() {
        request.method = if head {
            Some("HEAD".to_owned())
        } else if request.body.is_some() || request.json.is_some() {
            Some("POST".to_owned())
        } else {
            None
        };
    }
    Ok(request)
}

/// `url` without the `user:password@` (or `user@`) of its authority, when it
/// has one: a password must not become a literal default.
fn without_userinfo(url: &str) -> Option<String> {
    let after_scheme = url.find("://")? + 3;
    let authority_end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |end| after_scheme + end);
    let at = url[after_scheme..authority_end].rfind('@')? + after_scheme;
    Some(format!("{}{}", &url[..after_scheme], &url[at + 1..]))
}

/// curl's one-letter options that take a value.
const SHORT_WITH_VALUE: &str = "AbcCdDeEFHKmoPQrtTuUwxXyYz";

/// Whether `option` is a one-letter curl option that takes a value.
/// The warning for an option left out.
fn not_converted(option: &str) -> String {
    format!("`{option}` is not converted")
}

fn takes_value(option: &str) -> bool {
    let mut chars = option.chars();
    chars.next() == Some('-') && chars.next().is_some_and(|c| SHORT_WITH_VALUE.contains(c)) && chars.next().is_none()
}

/// The options in one word, each with the value written in the same word,
/// read as curl reads them: a long option (`--name`) is the whole word, its
/// value the next word; one-letter flags may be run together (`-fsSL`), and
/// a one-letter option that takes a value takes the rest of the word as it
/// when there is a rest (`-XDELETE`, `-m5`, `-sXPOST`). Any other word is
/// itself, with no value.
fn options_in(word: &str) -> Vec<(String, Option<String>)> {
    if word.starts_with("--") || !word.starts_with('-') || word.len() < 2 {
        return vec![(word.to_owned(), None)];
    }
    let mut options = Vec::new();
    for (at, letter) in word.char_indices().skip(1) {
        let option = format!("-{letter}");
        if SHORT_WITH_VALUE.contains(letter) {
            let rest = &word[at + letter.len_utf8()..];
            options.push((option, (!rest.is_empty()).then(|| rest.to_owned())));
            break;
        }
        options.push((option, None));
    }
    options
}

/// Splits a command line into words as a POSIX shell would: single quotes,
/// double quotes with `\` escapes, backslash escapes and line continuations.
fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("a single quote is not closed".to_owned()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("a double quote is not closed".to_owned()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("a double quote is not closed".to_owned()),
                    }
                }
            }
            '\\' => {
                if let Some(c) = chars.next().filter(|c| *c != '\n') {
                    in_word = true;
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_a_shell_would() {
        assert_eq!(
            split(
                r#"curl -H 'A: b c' "x\"y" z\ w \
 end"#
            )
            .unwrap(),
            ["curl", "-H", "A: b c", "x\"y", "z w", "end"]
        );
        assert!(split("curl 'open").is_err());
    }

    #[test]
    fn a_typical_health_check() {
        let request = parse(
            "curl -fsSL -m 3 -H 'Accept: application/json' -H \"X-Api-Key: k\" https://h.example:8443/health?full=1",
        )
        .unwrap();
        assert_eq!(request.url, "https://h.example:8443/health?full=1");
        assert_eq!(request.method, None);
        assert!(request.fail_on_error && request.follow_redirects && !request.insecure);
        assert_eq!(request.max_time.as_deref(), Some("3"));
        assert_eq!(
            request.headers,
            [("Accept".to_owned(), "application/json".to_owned()), ("X-Api-Key".to_owned(), "k".to_owned())]
        );
        assert!(request.ignored.is_empty(), "{:?}", request.ignored);
    }

    #[test]
    fn bodies_imply_post_and_head_implies_head() {
        let post = parse("curl --data-raw '{\"a\":1}' localhost:8080/x").unwrap();
        assert_eq!((post.method.as_deref(), post.body.as_deref()), (Some("POST"), Some("{\"a\":1}")));
        assert_eq!(post.url, "http://localhost:8080/x");
        assert_eq!(parse("curl -I http://h/").unwrap().method.as_deref(), Some("HEAD"));
        assert_eq!(parse("curl -X delete http://h/").unwrap().method.as_deref(), Some("DELETE"));
    }

    #[test]
    fn values_attached_to_one_letter_options_are_read_as_curl_reads_them() {
        let delete = parse("curl -XDELETE http://h/").unwrap();
        assert_eq!(delete.method.as_deref(), Some("DELETE"));
        assert!(delete.ignored.is_empty(), "{:?}", delete.ignored);
        assert_eq!(parse("curl -m5 http://h/").unwrap().max_time.as_deref(), Some("5"));
        let header = parse("curl -H'Content-Type: x' -HAccept:y http://h/").unwrap();
        assert_eq!(
            header.headers,
            [("Content-Type".to_owned(), "x".to_owned()), ("Accept".to_owned(), "y".to_owned())]
        );
        let flags = parse("curl -fsSL http://h/").unwrap();
        assert!(flags.fail_on_error && flags.follow_redirects && flags.ignored.is_empty(), "{flags:?}");
        let post = parse("curl -sXPOST -kd a=1 http://h/").unwrap();
        assert_eq!((post.method.as_deref(), post.body.as_deref()), (Some("POST"), Some("a=1")));
        assert!(post.insecure && post.ignored.is_empty(), "{:?}", post.ignored);
        let output = parse("curl -so/dev/null -Lm 2 http://h/").unwrap();
        assert_eq!((output.url.as_str(), output.max_time.as_deref()), ("http://h/", Some("2")));
        assert!(output.follow_redirects);
        assert_eq!(output.ignored, ["`-o` is not converted"]);
    }

    #[test]
    fn long_options_with_an_equals_sign_are_refused_as_curl_refuses_them() {
        for line in ["curl --max-time=5 http://h/", "curl --request=DELETE http://h/", "curl --header=A:b http://h/"] {
            assert!(parse(line).unwrap_err().contains("curl does not accept"), "{line}");
        }
        assert!(parse("curl http://h/?a=b --url-query=x").unwrap_err().contains("--url-query=x"));
    }

    #[test]
    fn what_cannot_be_converted_is_said() {
        assert!(parse("wget http://h/").unwrap_err().contains("starting with `curl`"));
        assert!(parse("curl -s").unwrap_err().contains("no URL"));
        assert!(parse("curl -d @file.json http://h/").unwrap_err().contains("reads a file"));
        assert!(parse("curl -H").unwrap_err().contains("needs a value"));
        assert!(parse("curl -H nocolon http://h/").unwrap_err().contains("no `:`"));
        let request = parse("curl -u a:b --proxy http://p:3128 --frobnicate http://h/").unwrap();
        assert_eq!(
            request.ignored,
            [
                "`-u` is not converted: give the credentials as a secret input and an `Authorization` header instead",
                "`--proxy` is not converted",
                "`--frobnicate` is not converted",
            ]
        );
    }

    #[test]
    fn credentials_in_the_url_are_left_out_and_said() {
        let request = parse("curl -fsS 'https://Qk6user:Qk7pass@api.example/health?q=a@b'").unwrap();
        assert_eq!(request.url, "https://api.example/health?q=a@b");
        assert!(request.ignored.iter().any(|note| note.contains("password in the URL")), "{:?}", request.ignored);
        assert_eq!(parse("curl http://h/x?q=a@b").unwrap().url, "http://h/x?q=a@b");
    }
}
