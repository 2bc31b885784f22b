//! RB414: a value inside the query a database or cache client runs: the
//! SQL of `sqlite3 DB "…"`, `psql -c`, `mysql -e`, the Lua script of
//! `redis-cli EVAL`. Shell quoting keeps the value one word for the shell;
//! it does nothing for the language inside that word.
//! `sqlite3 app.db "select * from users where name = '"{{ x }}"'"` (quotes
//! closed around the value, which RB405 would otherwise report) runs
//! `select … where name = 'x' or '1'='1'` for `x' or '1'='1`.

use super::shell_expansions::commands;
use super::shell_script::{quoted_word, unsafe_value};
use crate::{Code, Diagnostic, Runbook, Span};

/// The clients whose arguments hold a query, by name.
const CLIENTS: &[&str] = &["sqlite3", "psql", "mysql", "mariadb", "redis-cli", "valkey-cli"];

pub(super) fn check(runbook: &Runbook, out: &mut Vec<Diagnostic>) {
    for cmd in commands(runbook) {
        if let Some(sh) = &cmd.sh {
            for line in sh.lines() {
                let words = quoted_words(line);
                for (at, word) in words.iter().enumerate() {
                    let program = word.rsplit('/').next().unwrap_or_default();
                    if CLIENTS.contains(&program) {
                        report(program, &words[at + 1..], |_| sh.span, out);
                    }
                }
            }
        }
        if let Some(argv) = &cmd.argv {
            let words: Vec<&str> = argv.iter().map(|arg| arg.as_str()).collect();
            if let Some(at) =
                words.iter().position(|word| CLIENTS.contains(&word.rsplit('/').next().unwrap_or_default()))
            {
                let program = words[at].rsplit('/').next().unwrap_or_default();
                // At the element holding the query.
                let span_of = |query: &str| {
                    argv.iter().find(|arg| std::ptr::eq(arg.as_str(), query)).map_or(argv.span, |arg| arg.span)
                };
                report(program, &words[at + 1..], span_of, out);
            }
        }
    }
}

/// Reports the first value in a query among `words`, the arguments of
/// `program`.
fn report(program: &str, words: &[&str], span_of: impl Fn(&str) -> Span, out: &mut Vec<Diagnostic>) {
    let Some((query, value)) =
        queries(program, words).into_iter().find_map(|query| unsafe_value(query).map(|value| (query, value)))
    else {
        return;
    };
    let span = span_of(query);
    let (language, help) = if program.ends_with("-cli") {
        (
            "the Lua script",
            format!(
                "pass the value as a key or an argument of the script, never in it: `{program} EVAL \"return \
                 redis.call('get', KEYS[1])\" 1 {{{{ {value} }}}}` (`ARGV[1]` after the keys for other values)"
            ),
        )
    } else if program == "psql" {
        (
            "the SQL",
            format!(
                "give the value as a psql variable and quote it there as a literal: `psql -v name={{{{ {value} }}}} \
                 <<'SQL'` with `… where name = :'name'` in the heredoc (`-c` does not expand variables)"
            ),
        )
    } else {
        (
            "the SQL",
            format!(
                "bind the value as a parameter: `argv: [python3, -c, \"import sqlite3, sys; …execute('… where name \
                 = ?', (sys.argv[2],))\", app.db, \"{{{{ {value} }}}}\"]`, or check it before the query (a `regex` \
                 expectation, or `case` on the characters it may hold)"
            ),
        )
    };
    out.push(
        Diagnostic::new(
            Code::ValueInQuery,
            span,
            format!(
                "`{{{{ {value} }}}}` is inside {language} that `{program}` runs: shell quoting protects the word, \
                 not the language inside it"
            ),
        )
        .with_label("a value in a query")
        .with_help(format!("{help}; `| safe` says you vouch for it")),
    );
}

/// `line` split into words as the shell reads them (quotes hold spaces).
fn quoted_words(mut line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    loop {
        line = line.trim_start();
        let word = quoted_word(line);
        if word.is_empty() {
            return words;
        }
        words.push(word);
        line = &line[word.len()..];
    }
}

/// The words among `words` (what follows `program`, up to the end of its
/// command) that hold a query.
fn queries<'w>(program: &str, words: &[&'w str]) -> Vec<&'w str> {
    // The command ends at `;`, `|` or `&`, alone or ending a word.
    let mut own: Vec<&'w str> = Vec::new();
    for word in words {
        let trimmed = word.trim_end_matches([';', '|', '&']);
        if !trimmed.is_empty() {
            own.push(trimmed);
        }
        if trimmed.len() < word.len() {
            break;
        }
    }
    let words = own.as_slice();
    let value_of = |short: &str, long: &str| -> Vec<&'w str> {
        let mut found = Vec::new();
        for (at, word) in words.iter().enumerate() {
            if *word == short || *word == long {
                found.extend(words.get(at + 1).copied());
            } else if let Some(value) = word.strip_prefix(&format!("{long}=")).or_else(|| word.strip_prefix(short)) {
                found.extend((!value.is_empty()).then_some(value));
            }
        }
        found
    };
    match program {
        "psql" => value_of("-c", "--command"),
        "mysql" | "mariadb" => value_of("-e", "--execute"),
        "sqlite3" => {
            // The database, then SQL; `-cmd` runs a command before them.
            let mut found = value_of("-cmd", "-cmd");
            let mut operands = Vec::new();
            let mut at = 0;
            while let Some(word) = words.get(at) {
                if word.starts_with('-') {
                    at += usize::from(matches!(
                        *word,
                        "-cmd" | "-separator" | "-newline" | "-nullvalue" | "-init" | "-vfs"
                    ));
                } else {
                    operands.push(*word);
                }
                at += 1;
            }
            found.extend(operands.into_iter().skip(1));
            found
        }
        _ => words
            .iter()
            .position(|word| word.eq_ignore_ascii_case("eval") || word.eq_ignore_ascii_case("eval_ro"))
            .and_then(|at| words.get(at + 1).copied())
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    fn reported(cmd: &str) -> usize {
        crate::analyse::shell_expansions::reported_for(cmd, crate::Code::ValueInQuery)
    }

    #[test]
    fn a_value_in_sql_or_a_lua_script_is_reported() {
        for cmd in [
            r#"{ sh: "sqlite3 app.db \"select * from t where name = '\"{{ inputs.v }}\"'\"" }"#,
            r#"{ sh: "sqlite3 -readonly app.db 'select count(*) from t where id = '{{ inputs.v }}" }"#,
            r#"{ sh: "psql -At -c \"select 1 from t where n = '\"{{ inputs.v }}\"'\"" }"#,
            r#"{ sh: "mysql -e 'select 1 from t where n = '{{ inputs.v }}" }"#,
            r#"{ sh: "redis-cli EVAL 'return redis.call(\"get\", \"'{{ inputs.v }}'\")' 0" }"#,
            r#"{ argv: [sqlite3, app.db, "select * from t where n = '{{ inputs.v }}'"] }"#,
            r#"{ argv: [redis-cli, eval, "return '{{ inputs.v }}'", "0"] }"#,
        ] {
            assert_eq!(reported(cmd), 1, "{cmd}");
        }
    }

    #[test]
    fn a_value_given_as_a_database_a_key_or_a_parameter_is_fine() {
        for cmd in [
            r#"{ sh: "sqlite3 {{ inputs.v }} 'select count(*) from t'" }"#,
            r#"{ sh: "redis-cli -h {{ inputs.v }} GET k" }"#,
            r#"{ sh: "redis-cli EVAL 'return redis.call(\"get\", KEYS[1])' 1 {{ inputs.v }}" }"#,
            r#"{ sh: "psql -v name={{ inputs.v }} -f q.sql" }"#,
            r#"{ argv: [redis-cli, GET, "{{ inputs.v }}"] }"#,
            r#"{ sh: "sqlite3 app.db 'select 1'; echo {{ inputs.v }}" }"#,
        ] {
            assert_eq!(reported(cmd), 0, "{cmd}");
        }
    }
}
