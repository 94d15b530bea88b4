//! Arithmetic over `f64` by recursive descent: `+ - * / % ^`, parentheses, unary minus,
//! `pi`, `e`, and the functions in [`call_function`]. Models write expressions loosely, so
//! `×`, `÷`, `**` and thousands separators (`1,000`) are accepted too.

use crate::ToolError;

/// Nesting deeper than this is refused, so a hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 64;
/// Expressions longer than this are refused before parsing.
pub const MAX_EXPRESSION_CHARS: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Token {
    Number(f64),
    Ident(usize, usize),
    Op(char),
    Open,
    Close,
    Comma,
}

fn tokenize(src: &str) -> Result<Vec<Token>, ToolError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '0'..='9' | '.' => {
                let start = i;
                let mut text = String::new();
                while i < chars.len() {
                    let d = chars[i];
                    // A comma followed by exactly three digits is a thousands separator.
                    let thousands = d == ','
                        && chars
                            .get(i + 1..i + 4)
                            .is_some_and(|s| s.iter().all(char::is_ascii_digit))
                        && !chars.get(i + 4).is_some_and(char::is_ascii_digit);
                    if d.is_ascii_digit() || d == '.' {
                        text.push(d);
                    } else if thousands {
                        // skipped
                    } else if (d == 'e' || d == 'E')
                        && chars
                            .get(i + 1)
                            .is_some_and(|n| n.is_ascii_digit() || *n == '-' || *n == '+')
                    {
                        text.push('e');
                        if matches!(chars[i + 1], '-' | '+') {
                            text.push(chars[i + 1]);
                            i += 1;
                        }
                    } else {
                        break;
                    }
                    i += 1;
                }
                let value = text.parse::<f64>().map_err(|_| {
                    ToolError::BadInput(format!(
                        "`{}` is not a number",
                        chars[start..i].iter().collect::<String>()
                    ))
                })?;
                tokens.push(Token::Number(value));
            }
            'a'..='z' | 'A'..='Z' | '_' | 'π' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == 'π')
                {
                    i += 1;
                }
                tokens.push(Token::Ident(start, i));
            }
            '*' if chars.get(i + 1) == Some(&'*') => {
                tokens.push(Token::Op('^'));
                i += 2;
            }
            '+' | '-' | '*' | '/' | '%' | '^' => {
                tokens.push(Token::Op(c));
                i += 1;
            }
            '×' => {
                tokens.push(Token::Op('*'));
                i += 1;
            }
            '÷' => {
                tokens.push(Token::Op('/'));
                i += 1;
            }
            '−' => {
                tokens.push(Token::Op('-'));
                i += 1;
            }
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            other => {
                return Err(ToolError::BadInput(format!(
                    "unexpected character `{other}` in the expression"
                )))
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<Token> {
        self.tokens.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.peek();
        self.pos += 1;
        t
    }

    fn ident(&self, start: usize, end: usize) -> String {
        self.chars[start..end]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase()
    }

    fn enter(&mut self) -> Result<(), ToolError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ToolError::BadInput(format!(
                "the expression nests deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }

    /// sum := product (('+' | '-') product)*
    fn sum(&mut self) -> Result<f64, ToolError> {
        let mut value = self.product()?;
        while let Some(Token::Op(op @ ('+' | '-'))) = self.peek() {
            self.pos += 1;
            let rhs = self.product()?;
            value = if op == '+' { value + rhs } else { value - rhs };
        }
        Ok(value)
    }

    /// product := unary (('*' | '/' | '%') unary | implicit-multiplication)*
    fn product(&mut self) -> Result<f64, ToolError> {
        let mut value = self.unary()?;
        loop {
            match self.peek() {
                Some(Token::Op(op @ ('*' | '/' | '%'))) => {
                    self.pos += 1;
                    let rhs = self.unary()?;
                    value = match op {
                        '*' => value * rhs,
                        '/' if rhs == 0.0 => {
                            return Err(ToolError::BadInput("division by zero".into()))
                        }
                        '/' => value / rhs,
                        _ if rhs == 0.0 => {
                            return Err(ToolError::BadInput("remainder by zero".into()))
                        }
                        _ => value % rhs,
                    };
                }
                // `2(3+4)` and `2pi`
                Some(Token::Open | Token::Ident(..)) => value *= self.unary()?,
                _ => return Ok(value),
            }
        }
    }

    /// unary := ('-' | '+') unary | power
    fn unary(&mut self) -> Result<f64, ToolError> {
        match self.peek() {
            Some(Token::Op('-')) => {
                self.pos += 1;
                self.enter()?;
                let v = -self.unary()?;
                self.depth -= 1;
                Ok(v)
            }
            Some(Token::Op('+')) => {
                self.pos += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    /// power := atom ('^' unary)?   (right-associative: 2^3^2 = 2^9)
    fn power(&mut self) -> Result<f64, ToolError> {
        let base = self.atom()?;
        if let Some(Token::Op('^')) = self.peek() {
            self.pos += 1;
            self.enter()?;
            let exponent = self.unary()?;
            self.depth -= 1;
            return Ok(base.powf(exponent));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<f64, ToolError> {
        match self.next() {
            Some(Token::Number(v)) => Ok(v),
            Some(Token::Open) => {
                self.enter()?;
                let v = self.sum()?;
                self.depth -= 1;
                match self.next() {
                    Some(Token::Close) => Ok(v),
                    _ => Err(ToolError::BadInput("a `(` is never closed".into())),
                }
            }
            Some(Token::Ident(start, end)) => {
                let name = self.ident(start, end);
                if self.peek() == Some(Token::Open) {
                    self.pos += 1;
                    self.enter()?;
                    let mut args = Vec::new();
                    if self.peek() != Some(Token::Close) {
                        loop {
                            args.push(self.sum()?);
                            match self.next() {
                                Some(Token::Comma) => continue,
                                Some(Token::Close) => break,
                                _ => {
                                    return Err(ToolError::BadInput(format!(
                                        "`{name}(` is never closed"
                                    )))
                                }
                            }
                        }
                    } else {
                        self.pos += 1;
                    }
                    self.depth -= 1;
                    return call_function(&name, &args);
                }
                match name.as_str() {
                    "pi" | "π" => Ok(std::f64::consts::PI),
                    "e" => Ok(std::f64::consts::E),
                    _ => Err(ToolError::BadInput(format!(
                        "unknown name `{name}` (constants: pi, e)"
                    ))),
                }
            }
            Some(Token::Close) => Err(ToolError::BadInput("a `)` has no matching `(`".into())),
            Some(Token::Op(op)) => Err(ToolError::BadInput(format!(
                "`{op}` is missing a number before it"
            ))),
            Some(Token::Comma) => Err(ToolError::BadInput("a `,` outside a function call".into())),
            None => Err(ToolError::BadInput("the expression ends too early".into())),
        }
    }
}

/// The functions the calculator knows, by name and arity.
pub const FUNCTIONS: &[&str] = &[
    "sqrt", "cbrt", "abs", "exp", "ln", "log", "log10", "log2", "sin", "cos", "tan", "asin",
    "acos", "atan", "round", "floor", "ceil", "min", "max", "pow",
];

fn call_function(name: &str, args: &[f64]) -> Result<f64, ToolError> {
    let one = |f: fn(f64) -> f64| -> Result<f64, ToolError> {
        match args {
            [x] => Ok(f(*x)),
            _ => Err(ToolError::BadInput(format!(
                "`{name}` takes one argument, got {}",
                args.len()
            ))),
        }
    };
    match name {
        "sqrt" => match args {
            [x] if *x < 0.0 => Err(ToolError::BadInput(format!(
                "sqrt of a negative number ({x})"
            ))),
            _ => one(f64::sqrt),
        },
        "cbrt" => one(f64::cbrt),
        "abs" => one(f64::abs),
        "exp" => one(f64::exp),
        "ln" => one(f64::ln),
        // `log(x)` is base 10 (as on calculators); `log(x, b)` takes a base.
        "log" => match args {
            [x, b] => Ok(x.ln() / b.ln()),
            _ => one(f64::log10),
        },
        "log10" => one(f64::log10),
        "log2" => one(f64::log2),
        "sin" => one(f64::sin),
        "cos" => one(f64::cos),
        "tan" => one(f64::tan),
        "asin" => one(f64::asin),
        "acos" => one(f64::acos),
        "atan" => one(f64::atan),
        "floor" => one(f64::floor),
        "ceil" => one(f64::ceil),
        "round" => match args {
            [x, digits] => {
                let scale = 10f64.powi(*digits as i32);
                Ok((x * scale).round() / scale)
            }
            _ => one(f64::round),
        },
        "min" | "max" if args.is_empty() => Err(ToolError::BadInput(format!(
            "`{name}` needs at least one argument"
        ))),
        "min" => Ok(args.iter().copied().fold(f64::INFINITY, f64::min)),
        "max" => Ok(args.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        "pow" => match args {
            [x, y] => Ok(x.powf(*y)),
            _ => Err(ToolError::BadInput("`pow` takes two arguments".into())),
        },
        _ => Err(ToolError::BadInput(format!(
            "unknown function `{name}` (known: {})",
            FUNCTIONS.join(", ")
        ))),
    }
}

/// Evaluates an arithmetic expression.
pub fn evaluate(expression: &str) -> Result<f64, ToolError> {
    if expression.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(ToolError::BadInput(format!(
            "the expression is longer than {MAX_EXPRESSION_CHARS} characters"
        )));
    }
    // A trailing `=` ("2+2=") is what people (and models) write.
    let expression = expression.trim().trim_end_matches('=').trim();
    if expression.is_empty() {
        return Err(ToolError::BadInput("the expression is empty".into()));
    }
    let mut parser = Parser {
        tokens: tokenize(expression)?,
        chars: expression.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let value = parser.sum()?;
    if parser.pos < parser.tokens.len() {
        return Err(ToolError::BadInput(
            "unexpected text after the end of the expression".into(),
        ));
    }
    if !value.is_finite() {
        return Err(ToolError::BadInput(format!(
            "the result is not a finite number ({value})"
        )));
    }
    Ok(value)
}

/// A number as people write it: integers without `.0`, others with up to 12 significant digits.
pub fn format_number(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let text = format!("{:.12}", value);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if value.abs() >= 1e15 || (value != 0.0 && value.abs() < 1e-6) {
        return format!("{value:e}");
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(s: &str) -> f64 {
        evaluate(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn precedence_associativity_and_functions() {
        assert_eq!(eval("2 + 3 * 4"), 14.0);
        assert_eq!(eval("(2 + 3) * 4"), 20.0);
        assert_eq!(eval("2 ^ 3 ^ 2"), 512.0);
        assert_eq!(eval("2 ** 10"), 1024.0);
        assert_eq!(eval("-2 ^ 2"), -4.0);
        assert_eq!(eval("10 % 4"), 2.0);
        assert_eq!(eval("123 × 456"), 56088.0);
        assert_eq!(eval("1,000,000 / 8"), 125000.0);
        assert_eq!(eval("max(3, 9, 2) + min(4, 1)"), 10.0);
        assert_eq!(eval("sqrt(144) + abs(-3)"), 15.0);
        assert_eq!(eval("round(2.71828, 2)"), 2.72);
        assert_eq!(eval("log(1000)"), 3.0);
        assert_eq!(eval("2pi"), 2.0 * std::f64::consts::PI);
        assert_eq!(eval("1.5e3 + 2E-1"), 1500.2);
        assert_eq!(eval("17 * 23 ="), 391.0);
    }

    #[test]
    fn bad_expressions_are_named_not_panics() {
        for (input, needle) in [
            ("", "empty"),
            ("1 / 0", "division by zero"),
            ("2 +", "ends too early"),
            ("(1 + 2", "never closed"),
            ("1 + 2)", "after the end"),
            ("foo(2)", "unknown function"),
            ("bar", "unknown name"),
            ("sqrt(-1)", "negative"),
            ("2 $ 3", "unexpected character"),
            ("10 ^ 400", "not a finite"),
        ] {
            let err = evaluate(input).expect_err(input).to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
        let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert!(evaluate(&deep).unwrap_err().to_string().contains("deeper"));
        let long = "1+".repeat(2000) + "1";
        assert!(evaluate(&long).unwrap_err().to_string().contains("longer"));
    }

    #[test]
    fn numbers_format_like_people_write_them() {
        assert_eq!(format_number(56088.0), "56088");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(-2.5), "-2.5");
        assert_eq!(format_number(1.0 / 3.0), "0.333333333333");
        assert_eq!(format_number(1e20), "1e20");
    }
}
