//! Unit conversion: each unit is a factor to its dimension's base unit (temperature is affine).

use crate::calculator::format_number;
use crate::ToolError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Length,
    Mass,
    Time,
    Volume,
    Area,
    Speed,
    Data,
    Temperature,
}

impl Dimension {
    fn name(self) -> &'static str {
        match self {
            Dimension::Length => "length",
            Dimension::Mass => "mass",
            Dimension::Time => "time",
            Dimension::Volume => "volume",
            Dimension::Area => "area",
            Dimension::Speed => "speed",
            Dimension::Data => "data size",
            Dimension::Temperature => "temperature",
        }
    }
}

/// (names, dimension, factor to base). Bases: metre, kilogram, second, litre, square metre,
/// metre per second, byte; temperature converts through kelvin in [`to_kelvin`].
const UNITS: &[(&[&str], Dimension, f64)] = &[
    (
        &["m", "meter", "meters", "metre", "metres"],
        Dimension::Length,
        1.0,
    ),
    (
        &["km", "kilometer", "kilometers", "kilometre", "kilometres"],
        Dimension::Length,
        1000.0,
    ),
    (
        &[
            "cm",
            "centimeter",
            "centimeters",
            "centimetre",
            "centimetres",
        ],
        Dimension::Length,
        0.01,
    ),
    (
        &[
            "mm",
            "millimeter",
            "millimeters",
            "millimetre",
            "millimetres",
        ],
        Dimension::Length,
        0.001,
    ),
    (&["mi", "mile", "miles"], Dimension::Length, 1609.344),
    (&["yd", "yard", "yards"], Dimension::Length, 0.9144),
    (&["ft", "foot", "feet"], Dimension::Length, 0.3048),
    (&["in", "inch", "inches"], Dimension::Length, 0.0254),
    (
        &["nmi", "nautical mile", "nautical miles"],
        Dimension::Length,
        1852.0,
    ),
    (
        &["kg", "kilogram", "kilograms", "kilo", "kilos"],
        Dimension::Mass,
        1.0,
    ),
    (&["g", "gram", "grams"], Dimension::Mass, 0.001),
    (&["mg", "milligram", "milligrams"], Dimension::Mass, 1e-6),
    (
        &["t", "tonne", "tonnes", "metric ton"],
        Dimension::Mass,
        1000.0,
    ),
    (
        &["lb", "lbs", "pound", "pounds"],
        Dimension::Mass,
        0.453_592_37,
    ),
    (
        &["oz", "ounce", "ounces"],
        Dimension::Mass,
        0.028_349_523_125,
    ),
    (&["st", "stone", "stones"], Dimension::Mass, 6.350_293_18),
    (&["s", "sec", "second", "seconds"], Dimension::Time, 1.0),
    (
        &["ms", "millisecond", "milliseconds"],
        Dimension::Time,
        0.001,
    ),
    (&["min", "minute", "minutes"], Dimension::Time, 60.0),
    (&["h", "hr", "hour", "hours"], Dimension::Time, 3600.0),
    (&["day", "days", "d"], Dimension::Time, 86_400.0),
    (&["week", "weeks", "wk"], Dimension::Time, 604_800.0),
    (&["year", "years", "yr"], Dimension::Time, 31_557_600.0),
    (
        &["l", "liter", "liters", "litre", "litres"],
        Dimension::Volume,
        1.0,
    ),
    (
        &[
            "ml",
            "milliliter",
            "milliliters",
            "millilitre",
            "millilitres",
        ],
        Dimension::Volume,
        0.001,
    ),
    (
        &["m3", "m^3", "cubic meter", "cubic meters"],
        Dimension::Volume,
        1000.0,
    ),
    (
        &["gal", "gallon", "gallons"],
        Dimension::Volume,
        3.785_411_784,
    ),
    (&["qt", "quart", "quarts"], Dimension::Volume, 0.946_352_946),
    (&["pt", "pint", "pints"], Dimension::Volume, 0.473_176_473),
    (&["cup", "cups"], Dimension::Volume, 0.236_588_236_5),
    (
        &["floz", "fl oz", "fluid ounce", "fluid ounces"],
        Dimension::Volume,
        0.029_573_529_562_5,
    ),
    (
        &["m2", "m^2", "square meter", "square meters"],
        Dimension::Area,
        1.0,
    ),
    (
        &["km2", "km^2", "square kilometer", "square kilometers"],
        Dimension::Area,
        1e6,
    ),
    (&["ha", "hectare", "hectares"], Dimension::Area, 10_000.0),
    (&["acre", "acres"], Dimension::Area, 4_046.856_422_4),
    (
        &["ft2", "ft^2", "square foot", "square feet"],
        Dimension::Area,
        0.092_903_04,
    ),
    (&["m/s", "mps", "meters per second"], Dimension::Speed, 1.0),
    (
        &["km/h", "kph", "kmh", "kilometers per hour"],
        Dimension::Speed,
        1000.0 / 3600.0,
    ),
    (&["mph", "miles per hour"], Dimension::Speed, 0.447_04),
    (&["kn", "knot", "knots"], Dimension::Speed, 1852.0 / 3600.0),
    (&["b", "byte", "bytes"], Dimension::Data, 1.0),
    (&["kb", "kilobyte", "kilobytes"], Dimension::Data, 1e3),
    (&["mb", "megabyte", "megabytes"], Dimension::Data, 1e6),
    (&["gb", "gigabyte", "gigabytes"], Dimension::Data, 1e9),
    (&["tb", "terabyte", "terabytes"], Dimension::Data, 1e12),
    (&["kib", "kibibyte", "kibibytes"], Dimension::Data, 1024.0),
    (
        &["mib", "mebibyte", "mebibytes"],
        Dimension::Data,
        1_048_576.0,
    ),
    (
        &["gib", "gibibyte", "gibibytes"],
        Dimension::Data,
        1_073_741_824.0,
    ),
    (&["c", "°c", "celsius", "degc"], Dimension::Temperature, 0.0),
    (
        &["f", "°f", "fahrenheit", "degf"],
        Dimension::Temperature,
        1.0,
    ),
    (&["k", "kelvin"], Dimension::Temperature, 2.0),
];

fn find(unit: &str) -> Result<(Dimension, f64, &'static str), ToolError> {
    let wanted = unit.trim().to_lowercase();
    // "degrees celsius" / "degree fahrenheit"
    let wanted = wanted
        .strip_prefix("degrees ")
        .or_else(|| wanted.strip_prefix("degree "))
        .unwrap_or(&wanted);
    UNITS
        .iter()
        .find(|(names, _, _)| names.contains(&wanted))
        .map(|(names, dim, factor)| (*dim, *factor, names[0]))
        .ok_or_else(|| ToolError::BadInput(format!("unknown unit `{}`", unit.trim())))
}

fn to_kelvin(value: f64, scale: f64) -> f64 {
    match scale as u8 {
        0 => value + 273.15,
        1 => (value - 32.0) * 5.0 / 9.0 + 273.15,
        _ => value,
    }
}

fn from_kelvin(kelvin: f64, scale: f64) -> f64 {
    match scale as u8 {
        0 => kelvin - 273.15,
        1 => (kelvin - 273.15) * 9.0 / 5.0 + 32.0,
        _ => kelvin,
    }
}

/// Converts `value` from one unit to another of the same dimension.
pub fn convert(value: f64, from: &str, to: &str) -> Result<f64, ToolError> {
    let (from_dim, from_factor, _) = find(from)?;
    let (to_dim, to_factor, _) = find(to)?;
    if from_dim != to_dim {
        return Err(ToolError::BadInput(format!(
            "cannot convert {} (`{}`) to {} (`{}`)",
            from_dim.name(),
            from.trim(),
            to_dim.name(),
            to.trim()
        )));
    }
    if !value.is_finite() {
        return Err(ToolError::BadInput(
            "the value is not a finite number".into(),
        ));
    }
    Ok(match from_dim {
        Dimension::Temperature => from_kelvin(to_kelvin(value, from_factor), to_factor),
        _ => value * from_factor / to_factor,
    })
}

/// Reads "3.5 km to mi" / "100 F in C" (the form models write when not using JSON).
pub fn parse_phrase(text: &str) -> Result<(f64, String, String), ToolError> {
    let phrase = text.trim();
    // ASCII folding keeps byte offsets, so a match can index the original text (full Unicode
    // lowercasing can change lengths, e.g. `İ`, and slicing would then panic).
    let folded = phrase.to_ascii_lowercase();
    let split = [" to ", " in ", " into ", " -> ", " as "]
        .iter()
        .find_map(|sep| folded.find(sep).map(|at| (at, sep.len())))
        .ok_or_else(|| {
            ToolError::BadInput(format!(
                "write a conversion as `3 km to mi`, got `{phrase}`"
            ))
        })?;
    let (left, right) = (&phrase[..split.0], &phrase[split.0 + split.1..]);
    let number_end = left
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E' | ',')))
        .map_or(left.len(), |(i, _)| i);
    let value: f64 = left[..number_end]
        .replace(',', "")
        .trim()
        .parse()
        .map_err(|_| {
            ToolError::BadInput(format!("`{}` does not start with a number", left.trim()))
        })?;
    Ok((
        value,
        left[number_end..].trim().to_string(),
        right.trim().to_string(),
    ))
}

/// "3 km = 1.86411357671 mi"
pub fn describe(value: f64, from: &str, to: &str) -> Result<String, ToolError> {
    let result = convert(value, from, to)?;
    let (_, _, from_name) = find(from)?;
    let (_, _, to_name) = find(to)?;
    Ok(format!(
        "{} {from_name} = {} {to_name}",
        format_number(value),
        format_number(result)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn converts_within_every_dimension() {
        assert!(close(convert(1.0, "mi", "km").unwrap(), 1.609344));
        assert!(close(convert(100.0, "C", "F").unwrap(), 212.0));
        assert!(close(convert(32.0, "fahrenheit", "celsius").unwrap(), 0.0));
        assert!(close(convert(0.0, "K", "C").unwrap(), -273.15));
        assert!(close(convert(2.0, "lb", "kg").unwrap(), 0.90718474));
        assert!(close(convert(90.0, "minutes", "h").unwrap(), 1.5));
        assert!(close(convert(1.0, "gal", "l").unwrap(), 3.785411784));
        assert!(close(
            convert(100.0, "km/h", "mph").unwrap(),
            62.137119223733
        ));
        assert!(close(convert(1.0, "GiB", "MB").unwrap(), 1073.741824));
        assert!(close(convert(1.0, "ha", "acre").unwrap(), 2.471053814672));
        assert!(close(
            convert(20.0, "degrees celsius", "K").unwrap(),
            293.15
        ));
    }

    #[test]
    fn mismatches_and_unknown_units_are_named() {
        assert!(convert(1.0, "km", "kg")
            .unwrap_err()
            .to_string()
            .contains("cannot convert length"));
        assert!(convert(1.0, "furlong", "m")
            .unwrap_err()
            .to_string()
            .contains("unknown unit `furlong`"));
    }

    #[test]
    fn phrases_parse() {
        assert_eq!(
            parse_phrase("3.5 km to mi").unwrap(),
            (3.5, "km".into(), "mi".into())
        );
        assert_eq!(
            parse_phrase("1,200 ft in m").unwrap(),
            (1200.0, "ft".into(), "m".into())
        );
        assert_eq!(
            parse_phrase("-40 F into C").unwrap(),
            (-40.0, "F".into(), "C".into())
        );
        assert!(parse_phrase("km mi").is_err());
        // Letters whose lowercase is longer in UTF-8 must not shift the split.
        assert_eq!(
            parse_phrase("3 İİİ TO m").unwrap(),
            (3.0, "İİİ".into(), "m".into())
        );
        assert!(describe(3.0, "İİİ", "m")
            .unwrap_err()
            .to_string()
            .contains("unknown unit"));
        assert_eq!(describe(3.0, "kilometers", "m").unwrap(), "3 km = 3000 m");
    }
}
