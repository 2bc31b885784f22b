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
    /// `-m`/`--max-time`, as a runbook duration (`5s`, `1500ms`).
    pub max_time: Option<String>,
    /// `--connect-timeout`, as a runbook duration.
    pub connect_timeout: Option<String>,
    /// `-L`: curl does not follow redirects without it.
    pub follow_redirects: bool,
    /// `-k`/`--insecure`.
    pub insecure: bool,
    /// `--cacert FILE`.
    pub ca_file: Option<String>,
    /// `-x`/`--proxy URL` (`http://` when it names no scheme, without its
    /// user name and password), or `none` for a `--noproxy` list that
    /// covers the URL's host.
    pub proxy: Option<String>,
    /// `-f`/`--fail`: any status under 400 passes.
    pub fail_on_error: bool,
    /// `-u USER[:PASSWORD]`/`--user`: the user name, and the password when
    /// the line gives one (curl asks for it otherwise), sent as Basic
    /// credentials.
    pub basic_auth: Option<(String, Option<String>)>,
    /// What is not converted, one warning each (options understood but
    /// with no runbook equivalent, unknown ones, credentials): "`-o` is not
    /// converted".
    pub ignored: Vec<String>,
}

/// The methods an http check sends.
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Where a shell variable (`$NAME`, `${NAME}`) stood in a word: its name
/// between these two private-use characters, for `new` to turn into an
/// input read from the environment.
pub(crate) const VARIABLE_OPEN: char = '\u{E000}';
/// The end of a shell variable's name; see [`VARIABLE_OPEN`].
pub(crate) const VARIABLE_CLOSE: char = '\u{E001}';

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
    "--resolve",
    "--connect-to",
    "--interface",
    "-E",
    "--cert",
    "--key",
    "--limit-rate",
    "--variable",
];

/// Options whose argument is a credential: named in a warning, their value
/// never shown.
const CREDENTIAL_OPTIONS: &[&str] = &["--pass", "--netrc-file"];

/// curl's options that make it talk to the service through a SOCKS proxy,
/// which an http check does not speak.
const SOCKS_OPTIONS: &[&str] = &["--socks4", "--socks4a", "--socks5", "--socks5-hostname", "--preproxy"];

/// curl's options that give the proxy's credentials: never the service's.
const PROXY_CREDENTIAL_OPTIONS: &[&str] = &["-U", "--proxy-user"];

/// How to give a proxy's password without writing it: a value in the
/// user info is percent-encoded as user info when sent.
const PROXY_PASSWORD_ADVICE: &str = "declare a secret input and write \
    `http://USER:{{ inputs.NAME }}@…` in `proxy:`";

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
    // Data (`-d` and the like, not `-G`) goes with curl's form content type.
    let mut form = false;
    // `-g`: a URL's `{}` and `[]` are not a pattern of several URLs.
    let mut globoff = false;
    let mut proxy = None;
    let mut no_proxy = None;
    // `-p`: an http:// URL tunnelled through the proxy, not forwarded.
    let mut proxytunnel = false;
    // `-b`: sent only when no `-H 'Cookie: …'` is given, as curl does.
    let mut cookies = Vec::new();
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
                "-X" | "--request" => {
                    let method = argument(&option)?.to_uppercase();
                    if !METHODS.contains(&method.as_str()) {
                        return Err(format!(
                            "`{option} {method}`: an http check sends {}",
                            METHODS.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                        ));
                    }
                    request.method = Some(method);
                }
                "-H" | "--header" => {
                    if let Some(header) = header(&option, &argument(&option)?, &mut request.ignored)? {
                        request.headers.push(header);
                    }
                }
                "-A" | "--user-agent" => request.headers.push(("User-Agent".to_owned(), argument(&option)?)),
                "-e" | "--referer" => request.headers.push(("Referer".to_owned(), argument(&option)?)),
                "-b" | "--cookie" => {
                    let cookie = argument(&option)?;
                    if !cookie.contains('=') {
                        return Err(format!(
                            "`{option} {cookie}` reads cookies from a file (a value without `=` is a file name to \
                             curl); a runbook needs the cookie written in it: `{option} 'NAME=VALUE'`"
                        ));
                    }
                    cookies.push(cookie);
                }
                "--oauth2-bearer" => {
                    request.headers.push(("Authorization".to_owned(), format!("Bearer {}", argument(&option)?)));
                }
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
                    form = true;
                }
                "-G" | "--get" => get = true,
                "-F" | "--form" | "--form-string" => {
                    return Err(format!(
                        "`{option}` sends a multipart form, which an http check does not send; write the body \
                         with `-d` or `--data-raw`"
                    ));
                }
                // curl sends the data of every `--json`, one after the other.
                "--json" => request.json = Some(request.json.take().unwrap_or_default() + &argument(&option)?),
                "-g" | "--globoff" => globoff = true,
                "-T" | "--upload-file" => {
                    return Err(format!(
                        "`{option}` uploads a file (a PUT of its content); a runbook needs the body written in it: \
                         `-X PUT --data-binary '…'`"
                    ));
                }
                "--unix-socket" | "--abstract-unix-socket" => {
                    return Err(format!("`{option}` connects through a Unix socket, which an http check does not"));
                }
                "-:" | "--next" => {
                    return Err(format!("`{option}` starts a second request; a check sends one"));
                }
                "-m" | "--max-time" => request.max_time = Some(duration(&option, &argument(&option)?)?),
                "--connect-timeout" => request.connect_timeout = Some(duration(&option, &argument(&option)?)?),
                "-L" | "--location" => request.follow_redirects = true,
                "-k" | "--insecure" => request.insecure = true,
                "--cacert" => request.ca_file = Some(argument(&option)?),
                "-x" | "--proxy" => proxy = Some(argument(&option)?),
                "--noproxy" => no_proxy = Some(argument(&option)?),
                "-f" | "--fail" | "--fail-with-body" => request.fail_on_error = true,
                "-u" | "--user" => {
                    let credentials = argument(&option)?;
                    request.basic_auth = Some(match credentials.split_once(':') {
                        Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
                        None => (credentials, None),
                    });
                }
                "--basic" => {}
                // The check sends `-u` as Basic: where curl would send a
                // digest or a ticket, the password would go out readable.
                "--digest" | "--ntlm" | "--negotiate" => {
                    return Err(format!(
                        "`{option}` asks for another authentication than Basic, which is all an http check \
                         sends: `-u`'s password would go out readable where curl sends none; drop `{option}` to send \
                         Basic credentials, or send the `Authorization` header the service expects"
                    ));
                }
                "--proxy-cacert" | "--proxy-capath" => {
                    argument(&option)?;
                    request.ignored.push(format!(
                        "`{option}` is not converted: the check's `tls.ca_file` judges an https proxy's certificate \
                         too, so put the proxy's CA into the file `ca_file` names (one PEM file holds both)"
                    ));
                }
                "--proxy-insecure" => request.ignored.push(
                    "`--proxy-insecure` is not converted: only `tls: { insecure: true }` stops checking an https \
                     proxy's certificate, and it stops checking the service's too"
                        .to_owned(),
                ),
                "--proxy-header" => {
                    argument(&option)?;
                    request.ignored.push(
                        "`--proxy-header` is not converted: a check sends no header to the proxy alone (its \
                         `headers:` go to the service)"
                            .to_owned(),
                    );
                }
                "--proxytunnel" | "-p" => proxytunnel = true,
                socks if SOCKS_OPTIONS.contains(&socks) => {
                    return Err(format!(
                        "`{option}` goes through a SOCKS proxy; an http check speaks through http:// and https:// \
                         proxies only"
                    ));
                }
                "-I" | "--head" => head = true,
                "--url" if !request.url.is_empty() => {
                    return Err(format!(
                        "more than one URL (`{}` and `{option}`); a check sends one request",
                        without_userinfo(&request.url).unwrap_or_else(|| request.url.clone())
                    ));
                }
                "--url" => request.url = argument(&option)?,
                // The proxy's credentials, sent to the proxy alone: an
                // `Authorization` header would carry them to the service.
                flag if PROXY_CREDENTIAL_OPTIONS.contains(&flag) => {
                    argument(&option)?;
                    request.ignored.push(format!(
                        "`{option}` (the proxy's user name and password) is not converted (never written into the \
                         runbook): {PROXY_PASSWORD_ADVICE}"
                    ));
                }
                flag if CREDENTIAL_OPTIONS.contains(&flag) => {
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
                    // A word after an unknown option may be its value, a
                    // credential (`--oauth2-bearer TOKEN`): it is not shown.
                    let shown = |value: &str, unknown: &Option<String>| match unknown {
                        Some(unknown) => format!("the word after `{unknown}`"),
                        None => format!("`{}`", without_userinfo(value).unwrap_or_else(|| value.to_owned())),
                    };
                    let value_of = [&after_unknown, &url_after_unknown]
                        .into_iter()
                        .find_map(Option::as_ref)
                        .map_or_else(String::new, |unknown| {
                            format!(
                                "; if the word after `{unknown}` is its value (an option --from-curl does not \
                                 know), remove both"
                            )
                        });
                    return Err(format!(
                        "more than one URL ({} and {}); a check sends one request{value_of}",
                        shown(&request.url, &url_after_unknown),
                        shown(&word, &after_unknown)
                    ));
                }
            }
        }
    }
    if request.url.is_empty() {
        return Err("the curl command line has no URL".to_owned());
    }
    match request.url.split_once("://") {
        None if request.url.starts_with(VARIABLE_OPEN) => {}
        // `//host/path`: curl takes the host after the slashes.
        None if request.url.starts_with("//") => request.url = format!("http:{}", request.url),
        None => request.url = format!("http://{}", request.url),
        Some((scheme, _)) if !["http", "https"].contains(&scheme.to_ascii_lowercase().as_str()) => {
            return Err(format!("`{scheme}://…`: an http check sends HTTP or HTTPS requests"));
        }
        Some(_) => {}
    }
    if let Some(without) = without_userinfo(&request.url) {
        // As `-u`, which curl prefers to them.
        let after_scheme = request.url.find("://").map_or(0, |at| at + 3);
        let user_info = &request.url[after_scheme..request.url.len() - without.len() + after_scheme - 1];
        if request.basic_auth.is_none() {
            request.basic_auth = Some(match user_info.split_once(':') {
                Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
                None => (user_info.to_owned(), None),
            });
        }
        request.url = without;
    }
    request.proxy = proxied(&request.url, proxy, no_proxy.as_deref(), &mut request.ignored)?;
    let proxied_through = request.proxy.as_deref().filter(|proxy| *proxy != "none");
    if proxytunnel && proxied_through.is_some() && request.url.to_ascii_lowercase().starts_with("http://") {
        request.ignored.push(
            "`--proxytunnel` is not converted: through an http proxy the check sends an http:// URL to the proxy, \
             which forwards it, where curl opened a tunnel"
                .to_owned(),
        );
    }
    if request.insecure && proxied_through.is_some_and(|proxy| proxy.to_ascii_lowercase().starts_with("https://")) {
        request.ignored.push(
            "`-k` becomes `tls: { insecure: true }`, which also stops checking the https proxy's certificate (curl \
             -k still checks it): trust both CAs with `tls.ca_file` instead"
                .to_owned(),
        );
    }
    if get && let Some(query) = request.body.take() {
        form = false;
        let (before_fragment, fragment) = request.url.split_once('#').unwrap_or((&request.url, ""));
        let separator = if before_fragment.contains('?') { '&' } else { '?' };
        let fragment = if fragment.is_empty() { String::new() } else { format!("#{fragment}") };
        request.url = format!("{before_fragment}{separator}{query}{fragment}");
    }
    if !cookies.is_empty() {
        if request.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("cookie")) {
            request.ignored.push("`-b` is not sent: curl leaves it out when a `Cookie` header is given".to_owned());
        } else {
            request.headers.push(("Cookie".to_owned(), cookies.join("; ")));
        }
    }
    let after_host = request.url.split_once("://").map_or(request.url.as_str(), |(_, rest)| rest);
    let path = after_host.find(['/', '?', '#']).map_or("", |at| &after_host[at..]);
    if !globoff && (request.url.contains(['{', '}']) || path.contains(['[', ']'])) {
        return Err(
            "curl reads `{a,b}` and `[1-3]` in a URL as a pattern of several URLs, and a check sends one request: \
             give one URL, or add `-g` when the braces or brackets are part of it"
                .to_owned(),
        );
    }
    if head && (request.body.is_some() || request.json.is_some()) {
        return Err("`-I` (HEAD) and data (`-d`, `--json`) are two methods; curl refuses the pair too".to_owned());
    }
    let sent_as = |headers: &[(String, String)], name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if request.json.is_some() {
        for (name, value) in [("Content-Type", "application/json"), ("Accept", "application/json")] {
            if !sent_as(&request.headers, name) {
                request.headers.push((name.to_owned(), value.to_owned()));
            }
        }
    } else if form && !sent_as(&request.headers, "Content-Type") {
        request.headers.push(("Content-Type".to_owned(), "application/x-www-form-urlencoded".to_owned()));
    }
    request.headers = merged(std::mem::take(&mut request.headers), &mut request.ignored);
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

/// The headers with each name once (a runbook's `headers:` is a map): a
/// repeated header is sent once with its values joined as HTTP joins them
/// (`a, b`; cookies `a=1; b=2`), and said.
fn merged(headers: Vec<(String, String)>, notes: &mut Vec<String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        match out.iter_mut().find(|(kept, _)| kept.eq_ignore_ascii_case(&name)) {
            Some((kept, joined)) => {
                let separator = if kept.eq_ignore_ascii_case("cookie") { "; " } else { ", " };
                if !joined.is_empty() {
                    joined.push_str(separator);
                }
                joined.push_str(&value);
                let note = format!("`{kept}` is given more than once: the check sends it once, its values joined");
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            None => out.push((name, value)),
        }
    }
    out
}

/// A `-H` argument as the header curl sends: `Name: value`, `Name;` (sent
/// empty). `Name:` removes a header curl adds: nothing to send, said. A
/// malformed one is refused naming its first word only, which is the name
/// when the value is a credential (`Authorization Bearer …`).
fn header(option: &str, argument: &str, notes: &mut Vec<String>) -> Result<Option<(String, String)>, String> {
    if argument.starts_with('@') {
        return Err(format!("`{option} {argument}` reads headers from a file; a runbook needs them written in it"));
    }
    match argument.split_once(':') {
        Some((name, value)) if value.trim().is_empty() => {
            notes.push(format!(
                "`{option} '{}:'` (curl's way to remove a header it adds by itself) is not converted",
                name.trim()
            ));
            Ok(None)
        }
        Some((name, _)) if !name.trim().is_empty() && !name.trim().chars().all(is_token_char) => Err(format!(
            "`{option}` names the header `{}`, which holds characters a header name cannot (letters, digits and \
             `!#$%&'*+-.^_`|~`)",
            name.trim()
        )),
        Some((name, value)) => Ok(Some((name.trim().to_owned(), value.trim().to_owned()))),
        None => match argument.trim().strip_suffix(';') {
            Some(name) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                Ok(Some((name.to_owned(), String::new())))
            }
            _ => {
                let first = argument.split_whitespace().next().unwrap_or_default();
                Err(format!(
                    "a `{option}` value (starting `{first}`) has no `:` between its header name and value; the \
                     rest is not shown, in case it is a credential"
                ))
            }
        },
    }
}

/// Whether `c` may appear in a header name (an HTTP token).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
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

/// The runbook's `proxy:` for curl's `-x URL` and `--noproxy LIST`: `none`
/// when the list is `*` or names the URL's host (or a domain it is in);
/// the proxy's URL with `http://` when it names no scheme, as curl reads
/// it, and without a user name and password (said in `ignored`).
fn proxied(
    url: &str,
    proxy: Option<String>,
    no_proxy: Option<&str>,
    ignored: &mut Vec<String>,
) -> Result<Option<String>, String> {
    let authority = url.split_once("://").map_or("", |(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    }
    .to_ascii_lowercase();
    let bypassed = no_proxy.is_some_and(|list| list.split(',').any(|entry| bypasses(entry.trim(), &host)));
    // `-x ''` is curl's way to go direct whatever the environment says.
    if bypassed || proxy.as_deref() == Some("") {
        return Ok(Some("none".to_owned()));
    }
    let Some(proxy) = proxy else { return Ok(None) };
    let proxy = if proxy.contains("://") { proxy } else { format!("http://{proxy}") };
    if let Some((scheme, _)) = proxy.split_once("://").filter(|(scheme, _)| {
        !["http", "https"].contains(&scheme.to_ascii_lowercase().as_str()) && !scheme.starts_with(VARIABLE_OPEN)
    }) {
        return Err(format!(
            "`-x {scheme}://…`: an http check speaks through http:// and https:// proxies only, not {scheme}"
        ));
    }
    Ok(Some(match without_userinfo(&proxy) {
        Some(without) => {
            ignored.push(format!(
                "the proxy's user name and password are not converted (never written into the runbook): \
                 {PROXY_PASSWORD_ADVICE}"
            ));
            without
        }
        None => proxy,
    }))
}

/// Whether one entry of a `--noproxy` list covers `host` (lower case), as
/// curl reads it: `*`, the host itself or a domain it is in (a leading `.`
/// ignored), in any case, or an address range (`10.0.0.0/8`) holding an
/// IP address host.
fn bypasses(entry: &str, host: &str) -> bool {
    let entry = entry.trim_start_matches('.').to_ascii_lowercase();
    if entry == "*" {
        return true;
    }
    if let Some((network, bits)) = entry.split_once('/') {
        return in_range(host, network, bits);
    }
    !entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}")))
}

/// Whether `host` is an IP address in the range `network/bits`.
fn in_range(host: &str, network: &str, bits: &str) -> bool {
    use std::net::IpAddr;
    let (Ok(host), Ok(network), Ok(bits)) = (host.parse::<IpAddr>(), network.parse::<IpAddr>(), bits.parse::<u32>())
    else {
        return false;
    };
    let (host, network, width) = match (host, network) {
        (IpAddr::V4(host), IpAddr::V4(network)) => (u128::from(host.to_bits()), u128::from(network.to_bits()), 32),
        (IpAddr::V6(host), IpAddr::V6(network)) => (host.to_bits(), network.to_bits(), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let ignored = width - bits;
    bits == 0 || (host >> ignored) == (network >> ignored)
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
/// backslash escapes, line continuations and `#` comments. A variable
/// (`$NAME`, `${NAME}`) outside single quotes is kept as its name between
/// [`VARIABLE_OPEN`] and [`VARIABLE_CLOSE`]. What runs something else is
/// refused: `$(…)` and backticks, and `|`, `;`, `&`, `<`, `>` outside
/// quotes (a pipe into `jq`, a second command). A Windows `cmd` line
/// (`^"…^"`, `^` continuations: "Copy as cURL (cmd)") is refused too: its
/// quoting would be read as part of the values.
fn split(line: &str) -> Result<Vec<String>, String> {
    if line.contains("^\"") || line.lines().any(|line| line.trim_end().ends_with(" ^")) {
        return Err("this is a Windows `cmd` line (`^\"` quoting, `^` at the end of a line), whose quotes would \
                    become part of the URL and headers: copy the request as cURL (bash) or (POSIX) instead"
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
            '$' => {
                in_word = true;
                variable(&mut chars, &mut word)?;
            }
            '`' => return Err(RUNS_A_COMMAND.to_owned()),
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
                        Some('$') => variable(&mut chars, &mut word)?,
                        Some('`') => return Err(RUNS_A_COMMAND.to_owned()),
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
            '#' if !in_word => while chars.next_if(|c| *c != '\n').is_some() {},
            '|' | ';' | '&' | '<' | '>' => {
                return Err(format!(
                    "`{c}` outside quotes ends the curl command in a shell (a pipe, a second command, a \
                     redirection); give the curl command alone, with its URL in quotes"
                ));
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

/// The refusal of a command substitution.
const RUNS_A_COMMAND: &str = "the line runs another command (`$(…)` or backticks) for a value; give the value, or \
                              a `$VARIABLE` (which becomes an input read from the environment)";

/// After a `$` outside single quotes: a variable's name (`NAME`, `{NAME}`)
/// pushed onto `word` between [`VARIABLE_OPEN`] and [`VARIABLE_CLOSE`]; a
/// `$` before anything else is itself. `$(…)` and `${NAME…}` with an
/// operator are refused.
fn variable(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, word: &mut String) -> Result<(), String> {
    let braced = chars.next_if_eq(&'{').is_some();
    if !braced && chars.peek() == Some(&'(') {
        return Err(RUNS_A_COMMAND.to_owned());
    }
    if let Some(special) = chars.next_if(|c| c.is_ascii_digit() || "@*#?$!-".contains(*c)) {
        return Err(format!(
            "`${special}` is one of the shell's own parameters (a script's argument, a status, a process id), which \
             has no value here: write the value, or a `$VARIABLE`"
        ));
    }
    let mut name = String::new();
    while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
        name.push(c);
    }
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if braced && (!valid || chars.next_if_eq(&'}').is_none()) {
        return Err(format!(
            "`${{{name}…`: only a plain `${{NAME}}` is converted (into an input read from the environment)"
        ));
    }
    if valid {
        word.extend([VARIABLE_OPEN].into_iter().chain(name.chars()).chain([VARIABLE_CLOSE]));
    } else {
        word.push('$');
        word.push_str(&name);
    }
    Ok(())
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

/// curl's seconds (`5`, `1.5`, `1e2`) as a runbook duration: `5s`,
/// `1500ms`; zero, a negative or a word is refused, naming the option, as
/// the runbook would refuse the duration.
fn duration(option: &str, text: &str) -> Result<String, String> {
    let refused = || {
        format!("`{option} {text}`: curl's time limit is a number of seconds above zero (`{option} 5`, `{option} 1.5`)")
    };
    let seconds: f64 = text.trim().parse().map_err(|_| refused())?;
    let millis = std::time::Duration::try_from_secs_f64(seconds).map_err(|_| refused())?.as_millis();
    match millis {
        0 => Err(refused()),
        _ if millis % 1000 == 0 => Ok(format!("{}s", millis / 1000)),
        _ => Ok(format!("{millis}ms")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The content type curl gives data.
    const FORM: &str = "application/x-www-form-urlencoded";

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
        assert_eq!(request.max_time.as_deref(), Some("3s"));
        assert_eq!(
            request.headers,
            [("Accept".to_owned(), "application/json".to_owned()), ("X-Api-Key".to_owned(), "k".to_owned())]
        );
        assert!(request.ignored.is_empty(), "{:?}", request.ignored);
    }

    #[test]
    fn time_limits_are_curls_seconds_written_as_durations() {
        let limit = |line: &str| parse(line).map(|request| (request.max_time, request.connect_timeout));
        assert_eq!(
            limit("curl -m 1.5 --connect-timeout 0.25 http://h/"),
            Ok((Some("1500ms".into()), Some("250ms".into())))
        );
        assert_eq!(limit("curl -m 1e2 http://h/"), Ok((Some("100s".into()), None)));
        for bad in ["0", "-1", "abc", "0.0001", "inf"] {
            let error = limit(&format!("curl -m {bad} http://h/")).expect_err(bad);
            assert!(error.contains("a number of seconds above zero"), "{error}");
        }
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
        assert_eq!(parse("curl -m5 http://h/").unwrap().max_time.as_deref(), Some("5s"));
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
        assert_eq!((output.url.as_str(), output.max_time.as_deref()), ("http://h/", Some("2s")));
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
        for option in ["--digest", "--ntlm", "--negotiate"] {
            let said = parse(&format!("curl {option} -u ops:pw http://h/")).unwrap_err();
            assert!(said.starts_with(&format!("`{option}` asks for another authentication than Basic")), "{said}");
            assert!(said.contains(&format!("drop `{option}` to send Basic credentials")), "{said}");
        }
        assert!(parse("curl -s").unwrap_err().contains("no URL"));
        assert!(parse("curl -d @file.json http://h/").unwrap_err().contains("reads a file"));
        assert!(parse("curl -H").unwrap_err().contains("needs a value"));
        assert!(parse("curl -H nocolon http://h/").unwrap_err().contains("no `:`"));
        let request = parse("curl --pass a --resolve h:80:10.0.0.1 --frobnicate http://h/").unwrap();
        assert_eq!(
            request.ignored,
            [
                "`--pass` is not converted: give the credentials as a secret input and an `Authorization` header \
                 instead",
                "`--resolve` is not converted",
                "`--frobnicate` is not converted",
            ]
        );
    }

    #[test]
    fn a_proxy_is_the_checks_proxy_and_a_noproxy_list_covering_the_host_goes_direct() {
        let proxy = |line: &str| {
            let request = parse(line).unwrap();
            (request.proxy, request.ignored)
        };
        assert_eq!(proxy("curl -x http://p:3128 https://api.test/"), (Some("http://p:3128".to_owned()), vec![]));
        assert_eq!(proxy("curl --proxy p:3128 https://api.test/").0.as_deref(), Some("http://p:3128"));
        let (with_password, said) = proxy("curl -x http://u:s3cr3t@p:3128 https://api.test/");
        assert_eq!(with_password.as_deref(), Some("http://p:3128"));
        assert!(said[0].starts_with("the proxy's user name and password are not converted"), "{said:?}");
        assert!(!said[0].contains("s3cr3t"), "{said:?}");
        for bypass in ["'*'", "api.test", ".test", "other,test"] {
            let line = format!("curl -x http://p:3128 --noproxy {bypass} https://api.test/");
            assert_eq!(proxy(&line).0.as_deref(), Some("none"), "{bypass}");
        }
        assert_eq!(proxy("curl -x p:1 --noproxy other.test https://api.test/").0.as_deref(), Some("http://p:1"));
        assert_eq!(proxy("curl https://api.test/").0, None);
    }

    /// review-12-attack4 M5, L6: `-x ''` goes direct whatever the
    /// environment says; `--noproxy` compares names in any case and holds
    /// address ranges, as curl does.
    #[test]
    fn an_empty_proxy_and_a_noproxy_name_in_capitals_or_a_range_go_direct() {
        let proxy = |line: &str| parse(line).unwrap().proxy;
        assert_eq!(proxy("curl -x '' https://127.0.0.1:8443/health").as_deref(), Some("none"));
        assert_eq!(proxy("curl --proxy '' https://api.test/").as_deref(), Some("none"));
        assert_eq!(proxy("curl -x p:1 --noproxy LOCALHOST https://localhost:1/").as_deref(), Some("none"));
        assert_eq!(proxy("curl -x p:1 --noproxy Test https://API.test/").as_deref(), Some("none"));
        for (range, url, direct) in [
            ("127.0.0.0/8", "https://127.0.0.1:8443/", true),
            ("10.1.0.0/16", "http://10.1.200.3/", true),
            ("10.1.0.0/16", "http://10.2.0.1/", false),
            ("0.0.0.0/0", "http://192.0.2.1/", true),
            ("::1/128", "http://[::1]:8080/", true),
            ("10.0.0.0/8", "http://ten.example/", false),
        ] {
            let line = format!("curl -x p:1 --noproxy {range} {url}");
            assert_eq!(proxy(&line).as_deref() == Some("none"), direct, "{line}");
        }
    }

    /// review-12-attack4 M4: the proxy's credentials are never advised into
    /// an `Authorization` header, which the service would get.
    #[test]
    fn proxy_credentials_are_advised_into_the_proxy_url_never_a_service_header() {
        for option in ["-U", "--proxy-user"] {
            let request = parse(&format!("curl {option} alice:Pr0xyPw -x p:3128 https://api.test/health")).unwrap();
            let [said] = &request.ignored[..] else { panic!("{:?}", request.ignored) };
            assert!(said.starts_with(&format!("`{option}` (the proxy's user name and password)")), "{said}");
            assert!(said.contains("in `proxy:`") && !said.contains("Authorization"), "{said}");
            assert!(said.contains("USER:{{ inputs.NAME }}@") && !said.contains("Pr0xyPw"), "{said}");
            assert!(request.headers.is_empty(), "{:?}", request.headers);
        }
    }

    #[test]
    fn credentials_in_the_url_are_kept_out_of_it_for_basic_auth() {
        let request = parse("curl -fsS 'https://Qk6user:Qk7pass@api.example/health?q=a@b'").unwrap();
        assert_eq!(request.url, "https://api.example/health?q=a@b");
        assert_eq!(request.basic_auth, Some(("Qk6user".to_owned(), Some("Qk7pass".to_owned()))));
        assert!(request.ignored.is_empty(), "{:?}", request.ignored);
        let both = parse("curl -u a:b https://c:d@h/").unwrap();
        assert_eq!(both.basic_auth, Some(("a".to_owned(), Some("b".to_owned()))), "-u wins, as in curl");
        assert_eq!(parse("curl http://h/x?q=a@b").unwrap().url, "http://h/x?q=a@b");
    }

    #[test]
    fn bash_ansi_c_quotes_are_read_as_bash_reads_them() {
        let request =
            parse(r"curl 'http://h/x' -H $'X-A: b' --data-raw $'line1\nline2\t\'q\' \\ \x41\u00e9\101'").unwrap();
        assert_eq!(
            request.headers,
            [("X-A".to_owned(), "b".to_owned()), ("Content-Type".to_owned(), FORM.to_owned())],
            "data is sent as a form, as curl sends it"
        );
        assert_eq!(request.body.as_deref(), Some("line1\nline2\t'q' \\ Aé\u{41}"));
        let json = parse(r#"curl 'http://h/s' -H 'content-type: application/json' --data-raw $'{"q":"it\'s\u0021"}'"#)
            .unwrap();
        assert_eq!(json.body.as_deref(), Some(r#"{"q":"it's!"}"#));
        assert_eq!(split(r"a$'b'c 'd$'").unwrap(), ["abc", "d$"]);
        assert!(parse("curl $'http://h/").unwrap_err().contains("`$'` quote is not closed"));
        assert!(parse(r"curl $'\xff' http://h/").unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn refusals_name_the_option_and_never_show_a_credential() {
        for (line, said) in [
            ("curl -H 'Authorization Bearer s3cr3t' http://h/", "(starting `Authorization`) has no `:`"),
            ("curl http://u:s3cr3t@h/ http://b/", "more than one URL (`http://h/` and `http://b/`)"),
            ("curl -X PURGE http://h/", "an http check sends `GET`"),
            ("curl -I -d a=1 http://h/", "curl refuses the pair too"),
            ("curl -b cookies.txt http://h/", "reads cookies from a file"),
            ("curl -H @headers.txt http://h/", "reads headers from a file"),
            ("curl -H 'Bad Name: v' http://h/", "names the header `Bad Name`"),
            ("curl http://h/ | jq .", "`|` outside quotes ends the curl command"),
            ("curl http://h/?a=1&b=2", "`&` outside quotes"),
            ("curl ftp://h/x", "sends HTTP or HTTPS"),
            (r#"curl "$(cat url)""#, "runs another command"),
            ("curl `cat url`", "runs another command"),
            (r#"curl "${URL:-x}""#, "only a plain `${NAME}`"),
            ("curl http://h/ ^\n -H 'A: b'", "Windows `cmd` line"),
            ("curl -T file http://h/", "uploads a file"),
            ("curl --unix-socket /var/run/docker.sock http://h/", "Unix socket"),
            ("curl http://h/a --next http://h/b", "starts a second request"),
            ("curl http://h/a --url http://h/b", "more than one URL (`http://h/a` and `--url`)"),
            ("curl 'http://h/p[1-3]'", "a pattern of several URLs"),
            ("curl 'http://h/{a,b}'", "a pattern of several URLs"),
        ] {
            let error = parse(line).expect_err(line);
            assert!(error.contains(said), "{line}: {error}");
            assert!(!error.contains("s3cr3t"), "{error}");
        }
        let credential = parse("curl --proxy-user a:s3cr3t --oauth2-bearer t0k http://h/").unwrap();
        assert!(!format!("{:?}", credential.ignored).contains("s3cr3t"), "{:?}", credential.ignored);
        assert_eq!(credential.headers, [("Authorization".to_owned(), "Bearer t0k".to_owned())]);
    }

    #[test]
    fn headers_are_read_as_curl_sends_them() {
        let request = parse(
            "curl -H 'Accept: a' -H 'accept: b' -H 'Cookie: a=1' -b 'b=2' -H 'X-Empty;' -H 'Host:' http://h/ # note",
        )
        .unwrap();
        assert_eq!(
            request.headers,
            [
                ("Accept".to_owned(), "a, b".to_owned()),
                ("Cookie".to_owned(), "a=1".to_owned()),
                ("X-Empty".to_owned(), String::new())
            ]
        );
        assert_eq!(
            request.ignored,
            [
                "`-H 'Host:'` (curl's way to remove a header it adds by itself) is not converted",
                "`-b` is not sent: curl leaves it out when a `Cookie` header is given",
                "`Accept` is given more than once: the check sends it once, its values joined",
            ]
        );
        let cookies = parse("curl -b a=1 -b b=2 http://h/").unwrap();
        assert_eq!(cookies.headers, [("Cookie".to_owned(), "a=1; b=2".to_owned())]);
        let json = parse(r#"curl --json '{"a":1}' --json '{"b":2}' http://h/"#).unwrap();
        assert_eq!(json.json.as_deref(), Some(r#"{"a":1}{"b":2}"#), "curl sends both, one after the other");
        assert_eq!(parse("curl //h.example/x").unwrap().url, "http://h.example/x");
        assert_eq!(parse("curl -g 'http://h/a[1]'").unwrap().url, "http://h/a[1]");
        assert_eq!(
            parse("curl 'http://[::1]:8080/x'").unwrap().url,
            "http://[::1]:8080/x",
            "an IPv6 host is no pattern"
        );
        let json = parse("curl --json '{}' http://h/").unwrap();
        assert_eq!(
            json.headers,
            [
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Accept".to_owned(), "application/json".to_owned())
            ]
        );
        assert!(parse("curl -G -d a=1 http://h/").unwrap().headers.is_empty(), "-G sends the data in the query");
    }

    #[test]
    fn shell_variables_are_kept_by_name() {
        let request = parse(r#"curl -H "X-Key: $KEY" "${BASE}/x" -d '$LITERAL' -e 'a$1' -A "$ b""#).unwrap();
        let variable = |name: &str| format!("{VARIABLE_OPEN}{name}{VARIABLE_CLOSE}");
        assert_eq!(request.url, format!("{}/x", variable("BASE")));
        assert_eq!(request.headers[0], ("X-Key".to_owned(), variable("KEY")));
        assert_eq!(request.body.as_deref(), Some("$LITERAL"), "single quotes keep a `$`");
        assert_eq!(request.headers[1], ("Referer".to_owned(), "a$1".to_owned()));
        assert_eq!(request.headers[2], ("User-Agent".to_owned(), "$ b".to_owned()), "a `$` before a space is itself");
        for special in ["$1", "$@", "$?", "\"$$\""] {
            let error = parse(&format!("curl http://h/{special}")).expect_err(special);
            assert!(error.contains("one of the shell's own parameters"), "{error}");
        }
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
        for line in ["curl --frobnicate s3cr3t http://h/", "curl http://h/ --frobnicate s3cr3t"] {
            let error = parse(line).unwrap_err();
            assert!(error.contains("if the word after `--frobnicate` is its value"), "{error}");
            assert!(!error.contains("s3cr3t"), "a value that may be a credential is shown: {error}");
        }
    }

    #[test]
    fn warnings_are_sentences_with_the_option_named_alone() {
        let request = parse("curl --pass pw -s -o /dev/null -w '%{http_code}' --retry 3 http://h/x").unwrap();
        assert_eq!(request.ignored.len(), 2, "{:?}", request.ignored);
        assert!(request.ignored[0].starts_with("`--pass` is not converted: give"), "{:?}", request.ignored);
        assert_eq!(request.ignored[1], "`--retry` is not converted");
    }

    /// review-12-user7 L12: `-u` is Basic credentials, kept for the check
    /// to send (the password as a secret input, never written).
    #[test]
    fn user_credentials_are_kept_for_basic_auth() {
        for option in ["-u", "--user"] {
            let request = parse(&format!("curl {option} ops:s3cr3t https://h/x")).unwrap();
            assert_eq!(request.basic_auth, Some(("ops".to_owned(), Some("s3cr3t".to_owned()))));
            assert!(request.ignored.is_empty(), "{:?}", request.ignored);
        }
        assert_eq!(parse("curl -u ops https://h/").unwrap().basic_auth, Some(("ops".to_owned(), None)));
        assert_eq!(parse("curl --basic -uops:a:b https://h/").unwrap().basic_auth.unwrap().1.as_deref(), Some("a:b"));
    }

    /// review-12-attack5 N-L6: curl's proxy options are known, each said
    /// for what it is; SOCKS is refused by name.
    #[test]
    fn curls_proxy_options_are_known() {
        let said = |line: &str| parse(line).unwrap().ignored.join("\n");
        let ca = said("curl --proxy-cacert p.pem --cacert s.pem -x https://p:1 https://h/");
        assert!(ca.contains("`--proxy-cacert` is not converted") && ca.contains("`tls.ca_file` judges an https proxy"));
        assert!(said("curl --proxy-insecure -x https://p:1 https://h/").contains("`--proxy-insecure`"));
        assert!(said("curl --proxy-header 'X-Tenant: a' -x p:1 https://h/").contains("to the proxy alone"));
        assert!(said("curl -p -x p:1 http://h/").contains("`--proxytunnel` is not converted"));
        assert!(said("curl -p -x p:1 https://h/").is_empty(), "an https URL is tunnelled anyway");
        assert!(said("curl -k -x https://p:1 https://h/").contains("also stops checking the https proxy"));
        assert!(said("curl -k -x http://p:1 https://h/").is_empty());
        for line in [
            "curl --socks5 127.0.0.1:1080 https://h/",
            "curl --preproxy socks5://p:1 -x http://q:1 https://h/",
            "curl -x socks5h://p:1080 https://h/",
        ] {
            let error = parse(line).unwrap_err();
            assert!(error.contains("http:// and https:// proxies only"), "{line}: {error}");
        }
    }
}
