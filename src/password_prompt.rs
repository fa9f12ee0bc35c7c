//! The password for `runnel hash-password`: on a terminal a prompt that does not echo, asked
//! twice to catch a typo; from a pipe exactly one line (`printf '%s\n' "$PASSWORD" | …`).

use std::io::{BufRead, IsTerminal};

use crate::failure::Failure;

/// Reads the password from the terminal or from standard input.
pub fn read_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() { prompt_twice()? } else { first_line(std::io::stdin().lock())? };
    if password.is_empty() {
        return Err(Failure::new(
            "no password was given",
            "type it at the prompt, or pipe one line: printf '%s\\n' 'secret' | runnel hash-password",
        )
        .into());
    }
    Ok(password)
}

fn prompt_twice() -> anyhow::Result<String> {
    let first = rpassword::prompt_password("Password: ").map_err(terminal_failure)?;
    let second = rpassword::prompt_password("Repeat it: ").map_err(terminal_failure)?;
    if first != second {
        return Err(Failure::new("the two passwords differ", "run `runnel hash-password` again").into());
    }
    Ok(first)
}

fn terminal_failure(err: std::io::Error) -> anyhow::Error {
    Failure::new(
        format!("cannot read the password from the terminal: {err}"),
        "pipe it instead: printf '%s\\n' 'secret' | runnel hash-password",
    )
    .into()
}

/// The first line of `input`, without its line ending; the rest is not read.
fn first_line(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(|err| {
        Failure::new(format!("cannot read the password from standard input: {err}"), "pipe one line of UTF-8 text")
    })?;
    let line = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    Ok(line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_line_of_a_pipe_is_the_password_and_its_spaces_are_kept() {
        let text = first_line(&b" two words \r\nsecond line\n"[..]).unwrap();
        assert_eq!(text, " two words ");
    }
}
