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

/// Options that take an argument and only change what curl prints or
/// where: dropped like the [`SILENT_FLAGS`].
const SILENT_WITH_ARGUMENT: &[&str] = &[
    "-o",
    "--output",
    "-w",
    "--write-out",
    "-D",
    "--dump-header",
    "-c",
    "--cookie-jar",
    "--stderr",
    "--trace",
    "--trace-ascii",
];

/// Options that take an argument and have no runbook equivalent: named in
/// a warning.
const IGNORED_WITH_ARGUMENT: &[&str] = &[
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "-x",
    "--proxy",
    "--resolve",
    "--connect-to",
    "--interface",
    "-E",
    "--cert",
    "--key",
    "--limit-rate",
];

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
    let mut get = false;
    // An unknown option may take a value, which would be read as the URL.
    let (mut last_unknown, mut url_after_unknown) = (None::<String>, None::<String>);
    while let Some(word) = words.next() {
        let after_unknown = last_unknown.take();
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
                "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii" | "--data-urlencode" => {
                    let data = argument(&option)?;
                    let data = if option == "--data-urlencode" {
                        url_encoded_data(&data)?
                    } else if data.starts_with('@') && option != "--data-raw" {
                        return Err(format!("`{option} {data}` reads a file; a runbook needs the body written in it"));
                    } else {
                        data
                    };
                    request.body = Some(match request.body.take() {
                        Some(previous) => format!("{previous}&{data}"),
                        None => data,
                    });
                }
                "-G" | "--get" => get = true,
                "-F" | "--form" | "--form-string" => {
                    return Err(format!(
                        "`{option}` sends a multipart form, which an http check does not send; write the body \
                         with `-d` or `--data-raw`"
                    ));
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
                flag if SILENT_WITH_ARGUMENT.contains(&flag) => {
                    argument(&option)?;
                }
                flag if IGNORED_WITH_ARGUMENT.contains(&flag) || takes_value(flag) => {
                    argument(&option)?;
                    request.ignored.push(not_converted(flag));
                }
                flag if flag.starts_with('-') && flag.len() > 1 => {
                    request.ignored.push(not_converted(flag));
                    last_unknown = Some(flag.to_owned());
                }
                _ if request.url.is_empty() => {
                    request.url.clone_from(&word);
                    url_after_unknown.clone_from(&after_unknown);
                }
                _ => {
                    let value_of = [(&word, &after_unknown), (&request.url, &url_after_unknown)]
                        .into_iter()
                        .find_map(|(value, unknown)| Some((value, unknown.as_ref()?)))
                        .map_or_else(String::new, |(value, unknown)| {
                            format!(
                                "; if `{value}` is the value of `{unknown}`, an option --from-curl does not \
                                 know, remove both"
                            )
                        });
                    return Err(format!(
                        "more than one URL (`{}` and `{word}`); a check sends one request{value_of}",
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
    if get && let Some(query) = request.body.take() {
        let (before_fragment, fragment) = request.url.split_once('#').unwrap_or((&request.url, ""));
        let separator = if before_fragment.contains('?') { '&' } else { '?' };
        let fragment = if fragment.is_empty() { String::new() } else { format!("#{fragment}") };
        request.url = format!("{before_fragment}{separator}{query}{fragment}");
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

/// The data `--data-urlencode` sends for its argument, as curl builds it:
/// `content` and `=content` send `content` percent-encoded, `name=content`
/// sends `name=` and the encoded content; reading a file (`@file`,
/// `name@file`) is refused like `-d @file`.
fn url_encoded_data(argument: &str) -> Result<String, String> {
    let (name, content) = match argument.find(['=', '@']) {
        Some(at) if argument[at..].starts_with('@') => {
            return Err(format!("`--data-urlencode {argument}` reads a file; a runbook needs the body written in it"));
        }
        Some(at) => (&argument[..at], &argument[at + 1..]),
        None => ("", argument),
    };
    let encoded = percent_encoded(content);
    Ok(if name.is_empty() { encoded } else { format!("{name}={encoded}") })
}

/// `text` with every byte but the unreserved ones (`A-Z a-z 0-9 - . _ ~`)
/// written `%XX`, as curl encodes.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
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

/// The warning for an option left out.
fn not_converted(option: &str) -> String {
    format!("`{option}` is not converted")
}

/// Whether `option` is a one-letter curl option that takes a value.
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

/// Splits a command line into words as bash would: single quotes, double
/// quotes with `\` escapes, `$'…'` with its escapes (what a browser's "Copy
/// as cURL (bash)" writes for a value with a `'`, a `!` or a newline),
/// backslash escapes and line continuations. A Windows `cmd` line (`^"…^"`,
/// "Copy as cURL (cmd)") is refused: its quoting would be read as part of
/// the values.
fn split(line: &str) -> Result<Vec<String>, String> {
    if line.contains("^\"") {
        return Err("this is a Windows `cmd` line (`^\"` quoting), whose quotes would become part of the URL and \
                    headers: copy the request as cURL (bash) or (POSIX) instead"
            .to_owned());
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'\'') => {
                chars.next();
                in_word = true;
                word.push_str(&ansi_c_quoted(&mut chars)?);
            }
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

/// The rest of a `$'…'` word after its opening quote, up to and without the
/// closing one, with bash's escapes read: `\n`, `\t`, `\'`, `\\`, `\xHH`,
/// `\NNN` (octal), `\uHHHH`, `\UHHHHHHHH`, `\cX` and the others of C.
fn ansi_c_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    const NOT_CLOSED: &str = "a `$'` quote is not closed";
    let mut bytes = Vec::new();
    loop {
        match chars.next().ok_or(NOT_CLOSED)? {
            '\'' => break,
            '\\' => {
                let escape = chars.next().ok_or(NOT_CLOSED)?;
                match escape {
                    'a' => bytes.push(0x07),
                    'b' => bytes.push(0x08),
                    'e' | 'E' => bytes.push(0x1b),
                    'f' => bytes.push(0x0c),
                    'n' => bytes.push(b'\n'),
                    'r' => bytes.push(b'\r'),
                    't' => bytes.push(b'\t'),
                    'v' => bytes.push(0x0b),
                    '0'..='7' => {
                        let digits = std::iter::once(escape).chain(take_digits(chars, 8, 2)).collect::<String>();
                        let value = u32::from_str_radix(&digits, 8).unwrap_or(0);
                        bytes.push(u8::try_from(value & 0xff).unwrap_or(0));
                    }
                    'x' | 'u' | 'U' => {
                        let most = match escape {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let digits: String = take_digits(chars, 16, most).collect();
                        if digits.is_empty() {
                            push_char(&mut bytes, '\\');
                            push_char(&mut bytes, escape);
                            continue;
                        }
                        let value = u32::from_str_radix(&digits, 16).unwrap_or(0);
                        if escape == 'x' {
                            bytes.push(u8::try_from(value).unwrap_or(0));
                        } else {
                            let c = char::from_u32(value)
                                .ok_or_else(|| format!("`\\{escape}{digits}` in a `$'…'` quote is not a character"))?;
                            push_char(&mut bytes, c);
                        }
                    }
                    'c' => {
                        let control = chars.next().ok_or(NOT_CLOSED)?;
                        bytes.push(u8::try_from(u32::from(control.to_ascii_uppercase()) & 0x1f).unwrap_or(0));
                    }
                    '\\' | '\'' | '"' | '?' => push_char(&mut bytes, escape),
                    other => {
                        push_char(&mut bytes, '\\');
                        push_char(&mut bytes, other);
                    }
                }
            }
            c => push_char(&mut bytes, c),
        }
    }
    String::from_utf8(bytes).map_err(|_| "a `$'…'` quote's escapes make bytes that are not UTF-8 text".to_owned())
}

/// `c` appended to `bytes` as UTF-8.
fn push_char(bytes: &mut Vec<u8>, c: char) {
    bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

/// Up to `most` digits of `radix` from the front of `chars`.
fn take_digits<'a>(
    chars: &'a mut std::iter::Peekable<std::str::Chars<'_>>,
    radix: u32,
    most: usize,
) -> impl Iterator<Item = char> + 'a {
    std::iter::from_fn(move || chars.next_if(|c| c.is_digit(radix))).take(most)
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
        assert!(output.ignored.is_empty(), "-o only changes curl's output: {:?}", output.ignored);
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

    #[test]
    fn bash_ansi_c_quotes_are_read_as_bash_reads_them() {
        let request =
            parse(r"curl 'http://h/x' -H $'X-A: b' --data-raw $'line1\nline2\t\'q\' \\ \x41\u00e9\101'").unwrap();
        assert_eq!(request.headers, [("X-A".to_owned(), "b".to_owned())]);
        assert_eq!(request.body.as_deref(), Some("line1\nline2\t'q' \\ Aé\u{41}"));
        let json = parse(r#"curl 'http://h/s' -H 'content-type: application/json' --data-raw $'{"q":"it\'s\u0021"}'"#)
            .unwrap();
        assert_eq!(json.body.as_deref(), Some(r#"{"q":"it's!"}"#));
        assert_eq!(split(r"a$'b'c 'd$'").unwrap(), ["abc", "d$"]);
        assert!(parse("curl $'http://h/").unwrap_err().contains("`$'` quote is not closed"));
        assert!(parse(r"curl $'\xff' http://h/").unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn windows_cmd_lines_are_refused_by_name() {
        let error = parse(r#"curl ^"http://h/a^" -H ^"Accept: */*^""#).unwrap_err();
        assert!(error.contains("Windows `cmd` line") && error.contains("cURL (bash)"), "{error}");
    }

    #[test]
    fn get_with_data_sends_the_data_as_the_query() {
        let get = parse("curl -G -d q=x -d n=2 http://h/api").unwrap();
        assert_eq!((get.method, get.body, get.url.as_str()), (None, None, "http://h/api?q=x&n=2"));
        let more = parse("curl --get --data-urlencode 'q=a b/é' 'http://h/api?k=1#top'").unwrap();
        assert_eq!(more.url, "http://h/api?k=1&q=a%20b%2F%C3%A9#top");
        assert!(more.ignored.is_empty(), "{:?}", more.ignored);
    }

    #[test]
    fn data_urlencode_is_encoded_as_curl_encodes_it() {
        let post =
            parse("curl --data-urlencode 'q=a b' --data-urlencode '=x&y' --data-urlencode z:1 http://h/").unwrap();
        assert_eq!((post.method.as_deref(), post.body.as_deref()), (Some("POST"), Some("q=a%20b&x%26y&z%3A1")));
        assert!(parse("curl --data-urlencode name@file http://h/").unwrap_err().contains("reads a file"));
        assert!(parse("curl -F a=b http://h/").unwrap_err().contains("multipart form"));
    }

    #[test]
    fn an_unknown_option_before_a_second_word_is_named_with_it() {
        let error = parse("curl --frobnicate value http://h/").unwrap_err();
        assert!(error.contains("if `value` is the value of `--frobnicate`"), "{error}");
        let error = parse("curl http://h/ --frobnicate value").unwrap_err();
        assert!(error.contains("if `value` is the value of `--frobnicate`"), "{error}");
    }

    #[test]
    fn warnings_are_sentences_with_the_option_named_alone() {
        let request = parse("curl -u bob:pw -s -o /dev/null -w '%{http_code}' --retry 3 http://bob:pw@h/x").unwrap();
        assert_eq!(request.ignored.len(), 3, "{:?}", request.ignored);
        assert!(request.ignored[0].starts_with("`-u` is not converted: give"), "{:?}", request.ignored);
        assert_eq!(request.ignored[1], "`--retry` is not converted");
        assert!(request.ignored[2].starts_with("the user name and password in the URL are not converted"));
    }
}
