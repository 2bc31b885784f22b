//! A template in the script a nested shell runs: `argv: [sh, -c, "… {{ }}"]`
//! passes the value unquoted into shell code (argv quotes nothing), and
//! `sh: "bash -c {{ x }}"` quotes it as one word that the inner shell then
//! runs. Either way a value holding `$(…)` or `;` runs as a command. So
//! do the other ways a quoted value is parsed again: `eval`, a pipeline
//! or a here-string into a shell (`xargs` running a shell included),
//! `su [USER] -c`, the command of `watch` and the remote command of `ssh`
//! (both join their words for a shell), and the code of `python -c`,
//! `perl -e`, `ruby -e`, `node -e`, `awk` and `sed` (whose `e` command
//! runs a shell). A value moved into `env:` (or a shell variable the
//! script sets from a template) is code again when the outer shell expands
//! `$NAME` into such a script's text.

use std::sync::LazyLock;

use regex::Regex;

use crate::{Check, CmdProbe, Code, Diagnostic, Runbook, Span};

/// Shells whose `-c` takes a script (`su -c` runs it in the user's shell,
/// `script -c` in a new one).
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "su", "script"];
/// Interpreters whose `-c` or `-e` takes code.
const INTERPRETERS: &[&str] = &["python", "python2", "python3", "perl", "ruby", "node"];
/// The options of `ssh` that take a value.
const SSH_VALUED: &str = "BbcDEeFIiJLlmOoPpQRSWw";
/// The options of `watch` that take a value.
const WATCH_VALUED: &str = "n";
/// The options of `awk` that take a value (`-f` names the program's file).
const AWK_VALUED: &str = "Fvf";
/// The names `awk` goes by.
const AWKS: &[&str] = &["awk", "gawk", "mawk", "nawk"];
/// The names `sed` goes by.
const SEDS: &[&str] = &["sed", "gsed"];
/// Programs that run what they read on standard input as commands: shells,
/// interpreters, and database and cache clients (one command per line).
const READ_AS_CODE: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "ash",
    "mksh",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "node",
    "php",
    "lua",
    "redis-cli",
    "psql",
    "mysql",
    "mariadb",
    "sqlite3",
    "mongosh",
    "mongo",
    "valkey-cli",
];

/// A shell started with `-c` (or a cluster holding `c`: `-ec`, `-lc`) in
/// an `sh:` command, and what follows it.
static NESTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:^|[\s;|&(`])(?:\S*/)?(?:sh|bash|zsh|dash|ksh|ash|mksh|script)\s+",
        // Options before `-c`: long ones (`--norc`), `-o NAME`/`-O NAME`
        // (and a cluster ending in one: `-euo pipefail`), flags.
        r"(?:(?:--[A-Za-z][\w-]*|[-+][A-Za-z]*[oO]\s+[A-Za-z_]+|[-+][A-Za-z]*)\s+)*?",
        // `-c`, then flags it leaves to the shell (`bash -c -e SCRIPT`).
        r"-[A-Za-z]*c[A-Za-z]*\s+(?:[-+][A-Za-z]+\s+)*([^\n]*)",
    ))
    .expect("valid regex")
});
/// An interpreter given code with `-c` or `-e` in an `sh:` command.
static INTERPRETED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?(?:python[23]?|perl|ruby|node)\s+(?:-[A-Za-z]*\s+)*?-[A-Za-z]*[ce]\s+([^\n]*)")
        .expect("valid regex")
});
/// `eval` and the rest of its command.
static EVAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^|[\s;|&(`])eval\s+([^\n;&|]*)").expect("valid regex"));
/// A pipeline into a shell, and what feeds it.
static PIPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([^\n;&]*)\|\s*(?:sudo\s+)?(?:\S*/)?(?:sh|bash|zsh|dash|ksh|ash|mksh)\b").expect("valid regex")
});
/// A here-string into a shell (`bash <<< "…"`, its script; `.
/// /dev/stdin <<< "…"`), and what follows `<<<`.
static HERE_STRING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;|&(`])(?:(?:\S*/)?(?:sh|bash|zsh|dash|ksh|ash|mksh)(?:\s+[-+][^\s<]*)*|(?:source|\.)\s+/dev/stdin)\s*<<<\s*([^\n;&|]*)")
        .expect("valid regex")
});
/// A script sourced from a process substitution (`source <(echo …)`), and
/// the command inside it.
static SOURCED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s;|&(`])(?:source|\.)\s+<\(([^)\n]*)\)").expect("valid regex"));
/// A pipeline into an interpreter that reads its program from stdin
/// (`| python3`, `| python3 -`, `| perl`), and what feeds it.
static PIPED_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([^\n;&]*)\|\s*(?:sudo\s+)?(?:\S*/)?(?:python[23]?|perl|ruby|node|php)(?:\s+-)?\s*(?:$|[;&|)\n])")
        .expect("valid regex")
});
/// `su` running a command (`su -c …`, `su app -c …`, `su -s /bin/bash app
/// --command …`), and what follows `-c`.
static SU_USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:^|[\s;|&(`])(?:\S*/)?su",
        // Options, those taking a value with it, and the user.
        r"(?:\s+(?:-[sgGw]\s+\S+|--(?:shell|group|supp-group|whitelist-environment)\s+\S+|--[\w=/.-]+|-[A-Za-z]*|[^\s;&|-][^\s;&|]*))*?",
        r"\s+(?:-[A-Za-z]*c|--(?:session-)?command)(?:\s+|=)([^\n]*)",
    ))
    .expect("valid regex")
});
/// `xargs` fed by a here-string (`xargs -I{} sh -c '…{}…' <<< VALUE`): its
/// own command, and what feeds it.
static XARGS_HERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?xargs\s+([^\n;&|]*?)<<<\s*([^\n;&|]*)").expect("valid regex")
});
/// A pipeline into `xargs`: what feeds it, and `xargs`'s own command.
static XARGS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([^\n;&]*)\|\s*(?:\S*/)?xargs\s+([^\n;&|]*)").expect("valid regex"));
/// `watch` and the rest of its command.
static WATCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?watch\s+([^\n;&|]*)").expect("valid regex"));
/// `awk` and the rest of its command.
static AWK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?[gmn]?awk\s+([^\n;&|]*)").expect("valid regex"));
/// `flock` running a command with `-c` (`flock /run/x.lock -c CMD`), and
/// what follows `-c`.
static FLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?flock\s+(?:\S+\s+)*?-[A-Za-z]*c\s+([^\n]*)").expect("valid regex")
});
/// `sed` and the rest of its command.
static SED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?g?sed\s+([^\n;&|]*)").expect("valid regex"));
/// A shell variable set from a template in the script (`x={{ … }}`).
static ASSIGNED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=[^\s;&|{]*(\{\{.*?\}\})").expect("valid regex")
});
/// `ssh` and the rest of its command.
static SSH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s;|&(`])(?:\S*/)?ssh\s+([^\n;&|]*)").expect("valid regex"));
/// A `{{ … }}` block.
static BLOCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\{\{(.*?)\}\}").expect("valid regex"));

pub(crate) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    let lists: Vec<&str> = runbook
        .inputs
        .iter()
        .filter(|(_, input)| input.input_type() == crate::InputType::List)
        .map(|(name, _)| name.as_str())
        .collect();
    for step in runbook.steps.iter() {
        if let Some(check) = step.probing() {
            walk(check, &lists, out);
        }
        if let Some(cmd) = step.action.as_ref().and_then(|action| action.cmd.as_ref()) {
            command(cmd, out);
            list_values(cmd, &lists, out);
        }
    }
}

fn walk(check: &Check, lists: &[&str], out: &mut Vec<Diagnostic>) {
    if let Some(cmd) = &check.cmd {
        command(cmd, out);
        list_values(cmd, lists, out);
    }
    for member in check.probes.iter().flat_map(|probes| probes.values()) {
        walk(member, lists, out);
    }
}

/// `{{ inputs.NAME }}` of a `list` input in a command: it renders as the
/// list's text (`['api-1', 'api-2']`), one word, not an argument per item.
fn list_values(cmd: &CmdProbe, lists: &[&str], out: &mut Vec<Diagnostic>) {
    let texts = cmd.argv.iter().flat_map(|argv| argv.iter()).chain(cmd.sh.as_ref());
    for text in texts {
        for block in BLOCK.captures_iter(text) {
            let inner = block[1].trim();
            if !inner.strip_prefix("inputs.").is_some_and(|name| lists.contains(&name)) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    text.span,
                    format!("`{{{{ {inner} }}}}` is a list, and a command gets it as one word of text (`['a', 'b']`)"),
                )
                .with_label("a list in a command")
                .with_help(format!(
                    "run the command once per item (`foreach: \"{{{{ {inner} }}}}\"` with `{{{{ item }}}}`), or join \
                     the items into the one argument the program takes (`{{{{ {inner} | join(',') }}}}`)"
                )),
            );
        }
    }
}

fn command(cmd: &CmdProbe, out: &mut Vec<Diagnostic>) {
    if let Some(argv) = &cmd.argv {
        out.extend(argv.iter().filter_map(author_quoted));
        if let Some((shell, script)) = argv_script(&argv.value)
            && let Some(value) = unsafe_value(script)
        {
            out.push(report(script.span, &value, &format!("the script of `{shell} -c` in `argv`"), "argv"));
        }
        if let Some((program, code)) = argv_code(&argv.value)
            && let Some(value) = unsafe_value(code)
        {
            let field = if AWKS.contains(&program) { "awk" } else { "code" };
            out.push(report(code.span, &value, &format!("the code `{program}` runs, in `argv`"), field));
        }
        if argv.first().is_some_and(|program| SEDS.contains(&program.rsplit('/').next().unwrap_or_default())) {
            let words: Vec<&str> = argv[1..].iter().map(|arg| arg.as_str()).collect();
            if let Some(value) = sed_scripts(&words).iter().find_map(|script| unsafe_value(script)) {
                out.push(report(argv.span, &value, "the script of `sed`, in `argv`", "sed"));
            }
        }
        let program = argv.first().map_or("", |program| program.rsplit('/').next().unwrap_or_default());
        if READ_AS_CODE.contains(&program)
            && let Some(stdin) = &cmd.stdin
            && let Some(value) = unsafe_value(stdin)
        {
            out.push(report(
                stdin.span,
                &value,
                &format!("the standard input of `{program}`, which runs what it reads as commands"),
                "stdin",
            ));
        }
        if let Some(remote) = argv_remote(&argv.value)
            && let Some(value) = remote.iter().find_map(|word| unsafe_value(word))
        {
            out.push(report(argv.span, &value, "the remote command of `ssh`, which a shell parses again", "ssh"));
        }
        if let Some(watched) = argv_watched(&argv.value)
            && let Some(value) = watched.iter().find_map(|word| unsafe_value(word))
        {
            out.push(report(argv.span, &value, "the command of `watch`, which runs it with `sh -c`", "sh"));
        }
    }
    if let Some(sh) = &cmd.sh {
        // `sh -c -- SCRIPT`: `--` ends the options, the script follows it.
        let first_words = |regex: &Regex| -> Vec<String> {
            regex
                .captures_iter(sh)
                .filter_map(|found| {
                    let rest = found.get(1)?.as_str();
                    let rest = rest
                        .strip_prefix("--")
                        .filter(|after| after.starts_with(char::is_whitespace))
                        .map_or(rest, str::trim_start);
                    unsafe_value(quoted_word(rest))
                })
                .collect()
        };
        let whole = |regex: &Regex| -> Vec<String> {
            regex
                .captures_iter(sh)
                .filter_map(|found| found.get(1).and_then(|rest| unsafe_value(rest.as_str())))
                .collect()
        };
        let places = [
            (first_words(&NESTED), "the script of a nested `sh -c` in `sh:`", "sh"),
            (first_words(&INTERPRETED), "the code of `python -c` (or `perl -e`, …) in `sh:`", "code"),
            (first_words(&SU_USER), "the command of `su -c`, which the user's shell runs", "sh"),
            (first_words(&FLOCK), "the command of `flock -c`, which a shell runs", "sh"),
            (whole(&EVAL), "a command `eval` parses again", "sh"),
            (whole(&PIPED), "a pipeline into a shell, which runs what it reads", "sh"),
            (whole(&HERE_STRING), "a here-string into a shell, which runs it as its script", "sh"),
            (whole(&SOURCED), "a script sourced from `<(…)`, which the shell runs", "sh"),
            (whole(&PIPED_CODE), "a pipeline into an interpreter, which runs what it reads as code", "code"),
            (
                XARGS
                    .captures_iter(sh)
                    .filter(|found| found.get(2).is_some_and(|command| xargs_runs_input(command.as_str())))
                    .filter_map(|found| unsafe_value(found.get(1)?.as_str()))
                    .collect(),
                "what `xargs` reads and hands to a shell as its script",
                "sh",
            ),
            (
                XARGS_HERE
                    .captures_iter(sh)
                    .filter(|found| found.get(1).is_some_and(|command| xargs_runs_input(command.as_str())))
                    .filter_map(|found| unsafe_value(found.get(2)?.as_str()))
                    .collect(),
                "what `xargs` reads and hands to a shell as its script",
                "sh",
            ),
            (
                WATCH
                    .captures_iter(sh)
                    .filter_map(|found| {
                        let words = shell_words(found.get(1)?.as_str());
                        watched(&words).iter().find_map(|word| unsafe_value(word))
                    })
                    .collect(),
                "the command of `watch`, which runs it with `sh -c`",
                "sh",
            ),
            (
                AWK.captures_iter(sh)
                    .filter_map(|found| {
                        let words = shell_words(found.get(1)?.as_str());
                        unsafe_value(words.get(awk_program(&words)?)?)
                    })
                    .collect(),
                "the program of `awk`, which can run commands (`system()`)",
                "awk",
            ),
            (
                SED.captures_iter(sh)
                    .filter_map(|found| {
                        let words = shell_words(found.get(1)?.as_str());
                        sed_scripts(&words).iter().find_map(|script| unsafe_value(script))
                    })
                    .collect(),
                "the script of `sed`, which its `e` command runs as shell code",
                "sed",
            ),
            (
                SSH.captures_iter(sh)
                    .filter_map(|found| {
                        let words: Vec<&str> = shell_words(found.get(1)?.as_str());
                        remote_command(&words).iter().find_map(|word| unsafe_value(word))
                    })
                    .collect(),
                "the remote command of `ssh`, which a shell parses again",
                "ssh",
            ),
        ];
        for (values, place, field) in places {
            for value in values {
                out.push(report(sh.span, &value, place, field));
            }
        }
        expanded_into_code(cmd, sh, out);
    }
}

/// RB406 for a variable holding a template (a `cmd.env` key, or one the
/// script sets: `x={{ … }}`) that the outer shell expands into the text of
/// a script parsed again: a nested `sh -c "… $X …"`, `eval "$X"`, a pipe
/// or here-string into a shell (review-10-attack5 M4).
fn expanded_into_code(cmd: &CmdProbe, sh: &crate::Spanned<String>, out: &mut Vec<Diagnostic>) {
    let mut names: Vec<(&str, &str)> = cmd
        .env
        .iter()
        .filter(|(_, value)| value.contains("{{"))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    for found in ASSIGNED.captures_iter(sh) {
        if let (Some(name), Some(value)) = (found.get(1), found.get(2)) {
            names.push((name.as_str(), value.as_str()));
        }
    }
    if names.is_empty() {
        return;
    }
    let scripts = |regex: &Regex, whole: bool| -> Vec<String> {
        regex
            .captures_iter(sh)
            .filter_map(|found| found.get(1))
            .map(|rest| if whole { rest.as_str().to_owned() } else { quoted_word(rest.as_str()).to_owned() })
            .collect()
    };
    let places = [
        (scripts(&NESTED, false), "the script of a nested `sh -c`", false),
        (scripts(&SU_USER, false), "the command of `su -c`", false),
        (scripts(&EVAL, true), "what `eval` parses again", true),
        (scripts(&PIPED, true), "a pipeline into a shell", false),
        (scripts(&HERE_STRING, true), "a here-string into a shell", false),
    ];
    let mut reported: Vec<&str> = Vec::new();
    for (texts, place, eval) in places {
        for text in texts {
            for expanded in expanded_names(&text) {
                let Some((name, value)) = names.iter().find(|(name, _)| *name == expanded) else { continue };
                if reported.contains(name) {
                    continue;
                }
                reported.push(name);
                let help = if eval {
                    format!("drop `eval` and run the command itself, with `\"${name}\"` as one word")
                } else {
                    format!(
                        "let the inner shell read the variable itself: put the script in single quotes \
                         (`bash -c 'grep -c \"${name}\" app.log'`), or pass it as an argument after the script \
                         (`bash -c 'grep -c \"$1\" app.log' sh \"${name}\"`)"
                    )
                };
                out.push(
                    Diagnostic::new(
                        Code::TemplateInShellScript,
                        sh.span,
                        format!(
                            "`${name}` (set to `{value}`) is run as shell code: the outer shell expands it into {place}"
                        ),
                    )
                    .with_label("a value here runs as a command")
                    .with_help(help),
                );
            }
        }
    }
}

/// The variables `text` expands as the outer shell reads it: `$NAME` and
/// `${NAME…}` outside single quotes and not escaped.
fn expanded_names(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut names = Vec::new();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if !single => i += 1,
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'$' if !single => {
                let start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'{'));
                let end = text[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(text.len(), |length| start + length);
                if end > start {
                    names.push(&text[start..end]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// The program texts of `sed` among its words: each `-e`/`--expression`
/// value, else the first word that is not an option; none that is only
/// read from a file (`-f`).
fn sed_scripts<'w>(words: &[&'w str]) -> Vec<&'w str> {
    let mut scripts = Vec::new();
    let (mut from_file, mut operand) = (false, None);
    let mut index = 0;
    while let Some(&word) = words.get(index) {
        index += 1;
        if let Some(value) = word.strip_prefix("--expression=") {
            scripts.push(value);
        } else if word == "--expression" {
            scripts.extend(words.get(index).copied());
            index += 1;
        } else if word.starts_with("--file") {
            from_file = true;
            index += usize::from(!word.contains('='));
        } else if word == "--" {
            operand = operand.or_else(|| words.get(index).copied());
            break;
        } else if word.starts_with("--") || word.starts_with("-i") {
        } else if let Some(options) = word.strip_prefix('-').filter(|options| !options.is_empty()) {
            let Some(at) = options.find(['e', 'f', 'l']) else { continue };
            let value = &options[at + 1..];
            let value = if value.is_empty() {
                index += 1;
                words.get(index - 1).copied()
            } else {
                Some(value)
            };
            match options.as_bytes()[at] {
                b'e' => scripts.extend(value),
                b'f' => from_file = true,
                _ => {}
            }
        } else if operand.is_none() {
            operand = Some(word);
        }
    }
    if scripts.is_empty() && !from_file {
        scripts.extend(operand);
    }
    scripts
}

/// RB405 for an `argv` element that is a `{{ … }}` inside the author's own
/// quotes (`"'{{ inputs.name }}'"`): nothing parses `argv`, so the quotes
/// become part of the argument and `pgrep -f` looks for `'redis-server'`.
fn author_quoted(argument: &crate::Spanned<String>) -> Option<Diagnostic> {
    let text = argument.trim();
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = text.strip_prefix(quote)?.strip_suffix(quote)?.trim();
    if !(inner.starts_with("{{") && inner.ends_with("}}") && inner.matches("{{").count() == 1) {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::QuotedShellTemplate,
            argument.span,
            format!("`{inner}` is inside quotes of your own in an `argv` element"),
        )
        .with_label("the quotes become part of the argument")
        .with_help(format!(
            "in `argv` each element is one argument already, and nothing removes quotes: write `\"{inner}\"`"
        )),
    )
}

/// The interpreter and its code, when `argv` starts one with `-c`/`-e`,
/// or `awk` with its program.
fn argv_code(argv: &[crate::Spanned<String>]) -> Option<(&str, &crate::Spanned<String>)> {
    let program = argv.first()?.rsplit('/').next().unwrap_or_default();
    if AWKS.contains(&program) {
        let words: Vec<&str> = argv[1..].iter().map(|arg| arg.as_str()).collect();
        return argv.get(awk_program(&words)? + 1).map(|code| (program, code));
    }
    if !INTERPRETERS.contains(&program) {
        return None;
    }
    let flag = if program.starts_with("python") { 'c' } else { 'e' };
    let position = argv.iter().skip(1).position(|arg| arg.starts_with('-') && arg.ends_with(flag))?;
    argv.get(position + 2).map(|code| (program, code))
}

/// The remote command's words, when `argv` runs `ssh`.
fn argv_remote(argv: &[crate::Spanned<String>]) -> Option<Vec<&str>> {
    let start = argv.iter().position(|arg| arg.rsplit('/').next() == Some("ssh"))?;
    let words: Vec<&str> = argv[start + 1..].iter().map(|arg| arg.as_str()).collect();
    Some(remote_command(&words).to_vec())
}

/// The words of the command `watch` runs, when `argv` runs `watch`.
fn argv_watched(argv: &[crate::Spanned<String>]) -> Option<Vec<&str>> {
    if argv.first()?.rsplit('/').next() != Some("watch") {
        return None;
    }
    let words: Vec<&str> = argv[1..].iter().map(|arg| arg.as_str()).collect();
    Some(watched(&words).to_vec())
}

/// The words of the command `watch` runs with `sh -c`: after its options;
/// none with `-x` (`--exec`), which runs it without a shell.
fn watched<'s, 'w>(words: &'s [&'w str]) -> &'s [&'w str] {
    let mut index = 0;
    while let Some(word) = words.get(index) {
        match word.strip_prefix('-') {
            Some("-exec") => return &[],
            Some("-interval") => index += 2,
            Some(long) if long.starts_with('-') => index += 1,
            Some(options) if !options.is_empty() => {
                if options.contains('x') {
                    return &[];
                }
                let valued = options.chars().last().is_some_and(|last| WATCH_VALUED.contains(last));
                index += if valued { 2 } else { 1 };
            }
            _ => return &words[index..],
        }
    }
    &[]
}

/// Where the program text of `awk` is among its words: the first that is
/// not an option; none with `-f`, which reads the program from a file.
fn awk_program(words: &[&str]) -> Option<usize> {
    let mut index = 0;
    while let Some(word) = words.get(index) {
        match word.strip_prefix('-') {
            Some("-") => return Some(index + 1),
            Some(long) if long.starts_with('-') => index += 1,
            Some(options) if !options.is_empty() => {
                let option = options.chars().next().unwrap_or_default();
                if option == 'f' {
                    return None;
                }
                // `-F,` and `-vx=1` hold their value; `-F ,` is followed by it.
                let valued = AWK_VALUED.contains(option) && options.len() == 1;
                index += if valued { 2 } else { 1 };
            }
            _ => return Some(index),
        }
    }
    None
}

/// Whether the command `xargs` runs is a shell whose script is what it
/// reads: `xargs sh -c` (the first item is the script), or a replace
/// string (`-I {}`) put into the script.
fn xargs_runs_input(command: &str) -> bool {
    let words = shell_words(command);
    let replaces = words.iter().any(|word| word.starts_with("-I") || *word == "-i" || word.starts_with("--replace"));
    let Some(start) = words.iter().position(|word| SHELLS.contains(&word.rsplit('/').next().unwrap_or(word))) else {
        return false;
    };
    let script = words[start + 1..]
        .iter()
        .position(|word| {
            word.starts_with('-') && word[1..].chars().all(|c| c.is_ascii_alphabetic()) && word.contains('c')
        })
        .map(|flag| words.get(start + flag + 2));
    match script {
        Some(None) => true,
        Some(Some(_)) => replaces,
        None => false,
    }
}

/// The words of `ssh`'s remote command: after its options and the host.
fn remote_command<'s, 'w>(words: &'s [&'w str]) -> &'s [&'w str] {
    let mut index = 0;
    while let Some(word) = words.get(index) {
        match word.strip_prefix('-') {
            Some(options) if !options.is_empty() => {
                let valued = options.chars().last().is_some_and(|last| SSH_VALUED.contains(last));
                index += if valued { 2 } else { 1 };
            }
            _ => return words.get(index + 1..).unwrap_or_default(),
        }
    }
    &[]
}

/// `text` split into shell words, a `{{ … }}` block counting as part of
/// the word it is in.
fn shell_words(mut text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    loop {
        text = text.trim_start();
        let word = first_word(text);
        if word.is_empty() {
            return words;
        }
        words.push(word);
        text = &text[word.len()..];
    }
}

/// The scripts of the nested shells an `sh:` command starts (`bash -c
/// '…' sh ARGS`), without their quotes, and whether templated arguments
/// follow them (which the script reads as `$1`, `$2`, …).
pub(super) fn nested_scripts(sh: &str) -> Vec<(String, bool)> {
    NESTED
        .captures_iter(sh)
        .filter_map(|found| {
            let rest = found.get(1)?.as_str();
            let word = quoted_word(rest);
            let unquoted = word
                .strip_prefix('\'')
                .and_then(|inner| inner.strip_suffix('\''))
                .or_else(|| word.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')))
                .unwrap_or(word);
            let line = rest[word.len()..].split(['\n', ';', '|', '&']).next().unwrap_or_default();
            Some((unquoted.to_owned(), line.contains("{{")))
        })
        .collect()
}

/// The script of a shell `argv` starts with `-c`, and whether templated
/// arguments follow it.
pub(super) fn shell_script_of(argv: &[crate::Spanned<String>]) -> Option<(&crate::Spanned<String>, bool)> {
    let (_, script) = argv_script(argv)?;
    let after = argv.iter().position(|arg| std::ptr::eq(arg, script))?;
    Some((script, argv[after + 1..].iter().any(|arg| arg.contains("{{"))))
}

/// The shell and its script, when `argv` starts a shell (directly or
/// through `env`, `sudo`, …) with `-c`.
fn argv_script(argv: &[crate::Spanned<String>]) -> Option<(&str, &crate::Spanned<String>)> {
    let start = argv.iter().position(|arg| SHELLS.contains(&arg.rsplit('/').next().unwrap_or(arg)))?;
    let shell = argv[start].rsplit('/').next().unwrap_or(&argv[start]);
    let mut rest = argv[start + 1..].iter();
    // `su` takes the user to switch to before `-c`: `[su, app, -c, …]`.
    let su = shell == "su";
    let mut user = su;
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-" if user => {}
            word if user && !word.starts_with('-') => user = false,
            "--command" | "--session-command" if su => return script_after(shell, rest),
            word if su && (word.starts_with("--command=") || word.starts_with("--session-command=")) => {
                return Some((shell, arg));
            }
            "--shell" | "--group" | "--supp-group" | "--whitelist-environment" if su => {
                rest.next();
            }
            option if option.starts_with("--") => {}
            option if is_flags(option) => {
                if option.starts_with('-') && option.contains('c') {
                    return script_after(shell, rest);
                }
                if takes_value(option, su) {
                    rest.next();
                }
            }
            _ => return None,
        }
    }
    None
}

/// Whether `word` is a cluster of one-letter options (`-e`, `-euo`, `+x`).
fn is_flags(word: &str) -> bool {
    word.len() > 1 && word.starts_with(['-', '+']) && word[1..].chars().all(|c| c.is_ascii_alphabetic())
}

/// Whether the option cluster `option` ends with one that takes the next
/// word: a shell's `-o NAME`/`-O NAME` (`-euo pipefail`), `su`'s `-s
/// SHELL`, `-g GROUP`, `-G GROUP`, `-w LIST`.
fn takes_value(option: &str, su: bool) -> bool {
    let last = option.chars().last().unwrap_or_default();
    matches!(last, 'o' | 'O') || (su && matches!(last, 's' | 'g' | 'G' | 'w'))
}

/// The script after `-c`: the first word that is no flag the shell takes
/// there (`bash -c -e SCRIPT`, `sh -c -- SCRIPT`).
fn script_after<'a>(
    shell: &'a str,
    mut rest: std::slice::Iter<'a, crate::Spanned<String>>,
) -> Option<(&'a str, &'a crate::Spanned<String>)> {
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--" => return rest.next().map(|script| (shell, script)),
            option if is_flags(option) => {
                if takes_value(option, false) {
                    rest.next();
                }
            }
            _ => return Some((shell, arg)),
        }
    }
    None
}

/// The shell word `text` starts with, a `{{ … }}` block counting as part
/// of it whatever spaces it holds.
fn first_word(text: &str) -> &str {
    let mut end = 0;
    while end < text.len() {
        let rest = &text[end..];
        if rest.starts_with("{{") {
            end += rest.find("}}").map_or(rest.len(), |close| close + 2);
        } else if let Some(c) = rest.chars().next().filter(|c| !c.is_whitespace()) {
            end += c.len_utf8();
        } else {
            break;
        }
    }
    &text[..end]
}

/// The first word of `text` as the shell reads it: quotes hold spaces, so
/// `'grep -c '{{ x }}' $0'` is one word, the script a nested `sh -c` runs
/// with the value spliced into it.
pub(super) fn quoted_word(text: &str) -> &str {
    let mut quote = None;
    let mut end = 0;
    while end < text.len() {
        let rest = &text[end..];
        if rest.starts_with("{{") {
            end += rest.find("}}").map_or(rest.len(), |close| close + 2);
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        match (quote, c) {
            (None, c) if c.is_whitespace() => break,
            (None | Some('"'), '\\') => end += rest.chars().nth(1).map_or(0, char::len_utf8),
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            _ => {}
        }
        end += c.len_utf8();
    }
    &text[..end.min(text.len())]
}

/// The first `{{ … }}` in `script` that is not passed through `| safe`.
pub(super) fn unsafe_value(script: &str) -> Option<String> {
    BLOCK.captures_iter(script).map(|block| block[1].trim().to_owned()).find(|inner| {
        let compact: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
        !compact.ends_with("|safe")
    })
}

fn report(span: Span, value: &str, place: &str, field: &str) -> Diagnostic {
    let help = if field == "code" {
        format!(
            "pass the value to the code as an argument or in the environment (`argv: [python3, -c, 'import sys; \
             print(sys.argv[1])', \"{{{{ {value} }}}}\"]`), never inside the code; `| safe` says you vouch for it"
        )
    } else if field == "awk" {
        format!(
            "pass the value to the program as a variable (`awk -v value={{{{ {value} }}}} '$0 ~ value'`), never \
             inside the program; `| safe` says you vouch for it"
        )
    } else if field == "stdin" {
        format!(
            "pass the value as an argument instead (`argv: [redis-cli, GET, \"{{{{ {value} }}}}\"]`, \
             `argv: [sh, -c, 'grep -c \"$1\" app.log', sh, \"{{{{ {value} }}}}\"]`): a newline in it starts another \
             command; `| safe` says you vouch for it"
        )
    } else if field == "sed" {
        format!(
            "filter with `grep -e {{{{ {value} }}}}` (`grep -F -e` for a fixed string) instead: `sed` reads the value \
             as its program, where `e` runs a command and `w FILE` writes one; `| safe` says you vouch for it"
        )
    } else if field == "ssh" {
        format!(
            "run the remote command without values in it, or vouch for the value with `| safe` after checking it \
             (`ssh` joins its words and the remote shell parses them: `{{{{ {value} }}}}` is not one word there)"
        )
    } else if field == "argv" {
        format!(
            "run the command with `sh:` instead, where every value is quoted (`sh: \"… {{{{ {value} }}}}\"`), or \
             pass the value as a separate argument: `argv: [sh, -c, 'echo \"$1\"', sh, \"{{{{ {value} }}}}\"]`; \
             `| safe` says you vouch for it"
        )
    } else {
        format!(
            "write the inner command directly in `sh:`, where `{{{{ {value} }}}}` stays one quoted word, or pass it \
             as an argument after the script and read it there (`sh -c 'grep -c \"$1\" app.log' sh {{{{ {value} }}}}`); \
             `| safe` says you vouch for it"
        )
    };
    Diagnostic::new(
        Code::TemplateInShellScript,
        span,
        format!("`{{{{ {value} }}}}` is run as shell code: it is in {place}"),
    )
    .with_label("a value here runs as a command")
    .with_help(help)
}

#[cfg(test)]
mod tests {
    use crate::{Code, Source, analyse, load};

    fn quoted(cmd: &str) -> usize {
        let yaml = format!(
            "id: t\ntitle: T\ninputs:\n  v: {{ default: x }}\nsteps:\n  - id: a\n    collect:\n      cmd: {cmd}\n  - id: end\n    \
             conclude: {{ status: inconclusive }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook).iter().filter(|d| d.code == Code::QuotedShellTemplate).count()
    }

    fn reported(cmd: &str) -> usize {
        let yaml = format!(
            "id: t\ntitle: T\ninputs:\n  v: {{ default: x }}\nsteps:\n  - id: a\n    collect:\n      cmd: {cmd}\n  - id: end\n    \
             conclude: {{ status: inconclusive }}\n"
        );
        let runbook = load(&Source::new("t.yaml", yaml)).expect("loads");
        analyse(&runbook).iter().filter(|d| d.code == Code::TemplateInShellScript).count()
    }

    #[test]
    fn a_template_in_a_nested_shell_script_is_reported() {
        assert_eq!(reported(r#"{ argv: [sh, -c, "echo {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ argv: [/bin/bash, -euc, "echo {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ argv: [sudo, bash, -o, pipefail, -c, "x {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ sh: "sh -c {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "ls; bash -lc {{ inputs.v }}" }"#), 1);
    }

    #[test]
    fn eval_a_pipe_into_a_shell_su_ssh_and_interpreter_code_are_reported() {
        assert_eq!(reported(r#"{ sh: "eval echo {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | sh" }"#), 1);
        assert_eq!(reported(r#"{ sh: "printf '%s' {{ inputs.v }} | sudo bash -s" }"#), 1);
        assert_eq!(reported(r#"{ sh: "su -c {{ inputs.v }} root" }"#), 1);
        assert_eq!(reported(r#"{ sh: "ssh host {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "ssh -p 22 -i key host uptime {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "python3 -c {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ argv: [ssh, host, "echo {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ argv: [python3, -c, "print('{{ inputs.v }}')"] }"#), 1);
        assert_eq!(reported(r#"{ argv: [perl, -e, "print {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ argv: [su, -c, "echo {{ inputs.v }}", root] }"#), 1);
    }

    #[test]
    fn su_with_a_user_awk_here_strings_watch_and_xargs_into_a_shell_are_reported() {
        assert_eq!(reported(r#"{ sh: "su app -c {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "su - app -c {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ argv: [su, app, -c, "echo {{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ sh: "awk {{ inputs.v }} /dev/null" }"#), 1);
        assert_eq!(reported(r#"{ sh: "gawk -F: -v n=1 {{ inputs.v }} /etc/passwd" }"#), 1);
        assert_eq!(reported(r#"{ argv: [awk, "{ print {{ inputs.v }} }", /dev/null] }"#), 1);
        assert_eq!(reported(r#"{ sh: "bash <<< {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "sh -s <<<{{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "watch -n1 {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ argv: [watch, -n, "2", kubectl, get, "{{ inputs.v }}"] }"#), 1);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | xargs sh -c" }"#), 1);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | xargs -I{} sh -c 'ls {}'" }"#), 1);
        assert_eq!(reported(r#"{ sh: "script -qc {{ inputs.v }} /dev/null" }"#), 1);
        assert_eq!(reported(r#"{ sh: "ls | xargs -n1 sh -c 'grep -c '{{ inputs.v }}' $0'" }"#), 1);
        assert_eq!(reported(r#"{ sh: "bash -c \"grep \"{{ inputs.v }}\" f\"" }"#), 1);
        assert_eq!(reported(r#"{ sh: "python3 -c 'print('{{ inputs.v }}')'" }"#), 1);
        assert_eq!(reported(r#"{ argv: [script, -qc, "ls {{ inputs.v }}", /dev/null] }"#), 1);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | python3 -" }"#), 1);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | perl; true" }"#), 1);
        assert_eq!(reported(r#"{ sh: "source <(echo {{ inputs.v }})" }"#), 1);
        assert_eq!(reported(r#"{ sh: ". /dev/stdin <<< {{ inputs.v }}" }"#), 1);
    }

    #[test]
    fn nested_shells_after_long_options_valued_options_and_su_options_are_reported() {
        // review-10-attack7 H8: options between the shell and its `-c`.
        for cmd in [
            r#"{ sh: "bash -e -c {{ inputs.v }}" }"#,
            r#"{ sh: "sh -xc {{ inputs.v }}" }"#,
            r#"{ sh: "sudo -u u sh -c {{ inputs.v }}" }"#,
            r#"{ sh: "env X=1 sh -c {{ inputs.v }}" }"#,
            r#"{ sh: "timeout 5 sh -c {{ inputs.v }}" }"#,
            r#"{ sh: "ssh -o BatchMode=yes host {{ inputs.v }}" }"#,
            r#"{ sh: "bash --noprofile --norc -c {{ inputs.v }}" }"#,
            r#"{ sh: "bash -O extglob -c {{ inputs.v }}" }"#,
            r#"{ sh: "bash -o errexit -o nounset -c {{ inputs.v }}" }"#,
            r#"{ sh: "bash -c -e {{ inputs.v }}" }"#,
            r#"{ sh: "su -s /bin/bash app -c {{ inputs.v }}" }"#,
            r#"{ sh: "su --login app -c {{ inputs.v }}" }"#,
            r#"{ sh: "su app --command={{ inputs.v }}" }"#,
            r#"{ sh: "xargs -0 -I{} bash -ec 'echo {}' <<< {{ inputs.v }}" }"#,
            r#"{ argv: [bash, --norc, -c, "{{ inputs.v }}"] }"#,
            r#"{ argv: [bash, -euo, pipefail, -c, "{{ inputs.v }}"] }"#,
            r#"{ argv: [bash, -O, extglob, -c, "{{ inputs.v }}"] }"#,
            r#"{ argv: [bash, -c, -e, "{{ inputs.v }}"] }"#,
            r#"{ argv: [su, -s, /bin/bash, app, -c, "{{ inputs.v }}"] }"#,
            r#"{ argv: [su, app, --command, "{{ inputs.v }}"] }"#,
        ] {
            assert_eq!(reported(cmd), 1, "{cmd}");
        }
        assert_eq!(quoted(r#"{ sh: "su -s /bin/bash app -c 'ls {{ inputs.v }}'" }"#), 1);
        for cmd in [
            r#"{ sh: "su {{ inputs.v }} -s /bin/sh -c id" }"#,
            r#"{ sh: "bash -o pipefail -c 'grep -c \"$1\" f' sh {{ inputs.v }}" }"#,
            r#"{ sh: "su app; ls -c {{ inputs.v }}" }"#,
            r#"{ argv: [bash, -euo, pipefail, -c, 'echo "$1"', sh, "{{ inputs.v }}"] }"#,
            r#"{ sh: "xargs -n1 kubectl delete pod <<< {{ inputs.v }}" }"#,
        ] {
            assert_eq!(reported(cmd), 0, "{cmd}");
        }
    }

    #[test]
    fn data_given_to_awk_watch_xargs_and_su_is_fine() {
        assert_eq!(reported(r#"{ sh: "awk -v n={{ inputs.v }} '{ print $n }' f" }"#), 0);
        assert_eq!(reported(r#"{ sh: "awk -f prog.awk {{ inputs.v }}" }"#), 0);
        assert_eq!(reported(r#"{ argv: [awk, "{ print $1 }", "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ sh: "watch -x kubectl get {{ inputs.v }}" }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | xargs sh -c 'echo \"$0\"'" }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | xargs -n1 kubectl delete pod" }"#), 0);
        assert_eq!(reported(r#"{ sh: "su {{ inputs.v }} -c id" }"#), 0);
        assert_eq!(reported(r#"{ sh: "grep x <<< {{ inputs.v }}" }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | python3 parse.py" }"#), 0);
        assert_eq!(reported(r#"{ sh: "script -q log.txt" }"#), 0);
        assert_eq!(quoted(r#"{ argv: [pgrep, -f, "'{{ inputs.v }}'"] }"#), 1);
        assert_eq!(quoted(r#"{ argv: [pgrep, -f, '"{{ inputs.v }}"'] }"#), 1);
        assert_eq!(quoted(r#"{ argv: [pgrep, -f, "{{ inputs.v }}", "'x'"] }"#), 0);
        assert_eq!(reported(r#"{ sh: "sh -c 'grep -c \"$1\" f' sh {{ inputs.v }}" }"#), 0);
    }

    #[test]
    fn a_list_input_rendered_into_a_command_is_reported_unless_joined() {
        let yaml = |cmd: &str| {
            format!(
                "id: t\ntitle: T\ninputs:\n  pods: {{ type: list, default: [a, b] }}\nsteps:\n  - id: a\n    collect:\n      \
                 cmd: {cmd}\n  - id: end\n    conclude: {{ status: inconclusive }}\n"
            )
        };
        let mismatches = |cmd: &str| {
            let runbook = load(&Source::new("t.yaml", yaml(cmd))).expect("loads");
            analyse(&runbook).iter().filter(|d| d.code == Code::TypeMismatch).count()
        };
        assert_eq!(mismatches(r#"{ argv: [kubectl, delete, pod, "{{ inputs.pods }}"] }"#), 1);
        assert_eq!(mismatches(r#"{ sh: "kubectl delete pod {{ inputs.pods }}" }"#), 1);
        assert_eq!(mismatches(r#"{ argv: [echo, "{{ inputs.pods | join(',') }}"] }"#), 0);
    }

    #[test]
    fn a_host_or_data_given_to_these_programs_is_fine() {
        assert_eq!(reported(r#"{ sh: "ssh {{ inputs.v }} uptime" }"#), 0);
        assert_eq!(reported(r#"{ argv: [ssh, -o, BatchMode=yes, "{{ inputs.v }}", uptime] }"#), 0);
        assert_eq!(reported(r#"{ argv: [python3, script.py, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [python3, -c, 'import sys; print(sys.argv[1])', "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ sh: "echo {{ inputs.v }} | grep x; sh ./fixed.sh" }"#), 0);
        assert_eq!(reported(r#"{ sh: "evaluate {{ inputs.v }}" }"#), 0);
    }

    #[test]
    fn values_outside_the_script_and_vouched_ones_are_fine() {
        assert_eq!(reported(r#"{ argv: [sh, -c, 'echo "$1"', sh, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [sh, script.sh, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [sh, -c, "echo {{ inputs.v | safe }}"] }"#), 0);
        assert_eq!(reported(r#"{ argv: [echo, -c, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ sh: "grep -c {{ inputs.v }} /var/log/app.log" }"#), 0);
    }

    #[test]
    fn stdin_of_a_program_that_runs_it_flock_and_a_script_after_dashes_are_reported() {
        assert_eq!(reported(r#"{ argv: [sh], stdin: "echo {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ argv: [redis-cli, -p, "6379"], stdin: "GET {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ argv: [/usr/bin/python3], stdin: "print({{ inputs.v }})" }"#), 1);
        assert_eq!(reported(r#"{ argv: [grep, -c, x], stdin: "{{ inputs.v }}" }"#), 0);
        assert_eq!(reported(r#"{ argv: [redis-cli, GET, "{{ inputs.v }}"] }"#), 0);
        assert_eq!(reported(r#"{ sh: "sh -c -- {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "flock /run/x.lock -c {{ inputs.v }}" }"#), 1);
        assert_eq!(reported(r#"{ sh: "flock -n /run/x.lock cat {{ inputs.v }}" }"#), 0);
    }

    #[test]
    fn a_template_in_the_script_of_sed_is_reported() {
        // GNU sed's `e` runs the pattern space as a command (review-10-attack5 M3).
        assert_eq!(reported(r#"{ sh: "printf 'a\\n' | sed -n /{{ inputs.v }}/p" }"#), 1);
        assert_eq!(reported(r#"{ sh: "sed -n -e /{{ inputs.v }}/p app.log" }"#), 1);
        assert_eq!(reported(r#"{ sh: "sed -E 's/x/{{ inputs.v }}/e' f" }"#), 1);
        assert_eq!(reported(r#"{ sh: "sed --expression={{ inputs.v }} f" }"#), 1);
        assert_eq!(reported(r#"{ argv: [sed, -n, "/{{ inputs.v }}/p", app.log] }"#), 1);
        // A file to edit or a script read from a file is data.
        assert_eq!(reported(r#"{ sh: "sed -n /ERROR/p {{ inputs.v }}" }"#), 0);
        assert_eq!(reported(r#"{ sh: "sed -i.bak -e s/a/b/ {{ inputs.v }}" }"#), 0);
        assert_eq!(reported(r#"{ sh: "sed -f fix.sed {{ inputs.v }}" }"#), 0);
        assert_eq!(reported(r#"{ argv: [sed, -e, s/a/b/, "{{ inputs.v }}"] }"#), 0);
    }

    /// `cmd` with `env: { P: "{{ inputs.v }}" }` and this `sh:`.
    fn reported_with_env(sh: &str) -> usize {
        reported(&format!("{{ sh: {sh:?}, env: {{ P: \"{{{{ inputs.v }}}}\" }} }}"))
    }

    #[test]
    fn a_templated_variable_expanded_into_a_nested_script_is_reported() {
        // The outer shell expands `$P` inside double quotes into the inner
        // script's text (review-10-attack5 M4).
        assert_eq!(reported_with_env(r#"bash -c "grep -c $P /etc/hostname""#), 1);
        assert_eq!(reported_with_env(r#"ls | xargs sh -c "grep -c ${P} \$0""#), 1);
        assert_eq!(reported_with_env(r#"eval "echo $P""#), 1);
        assert_eq!(reported_with_env(r#"echo "grep $P f" | sh"#), 1);
        assert_eq!(reported(r#"{ sh: "x={{ inputs.v }}; eval \"$x\"" }"#), 1);
        // The inner shell reads the variable itself, or it is data.
        assert_eq!(reported_with_env(r#"bash -c 'grep -c "$P" /etc/hostname'"#), 0);
        assert_eq!(reported_with_env(r#"bash -c 'grep -c "$1" f' sh "$P""#), 0);
        assert_eq!(reported_with_env(r#"bash -c "grep -c \$P f""#), 0);
        assert_eq!(reported_with_env(r#"grep -c "$P" /etc/hostname"#), 0);
        assert_eq!(reported(r#"{ sh: "bash -c \"grep -c $HOME f\"" }"#), 0);
    }
}
