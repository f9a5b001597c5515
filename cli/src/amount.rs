//! Read amounts the way users write them (`5`, `0.5ether`, `5000000000000000000wei`) and show
//! them back in whole units.

use alloy::primitives::utils::{format_units, parse_units};
use alloy::primitives::U256;
use eyre::{bail, eyre, Result};

/// An amount as typed: a decimal number and, if given, its unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    number: String,
    unit: Option<Unit>,
    text: String,
}

/// The units an amount may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// 10^18 base units.
    Ether,
    /// 10^9 base units.
    Gwei,
    /// Base units.
    Wei,
}

impl Unit {
    fn decimals(self) -> u8 {
        match self {
            Self::Ether => 18,
            Self::Gwei => 9,
            Self::Wei => 0,
        }
    }
}

/// What an amount should look like, for error messages.
const HOW: &str = "give a number of whole coins (5, 0.5, 5ether), gwei (5gwei) or base units \
                   (5000000000000000000wei)";

impl std::str::FromStr for Amount {
    type Err = eyre::Report;

    fn from_str(text: &str) -> Result<Self> {
        let trimmed = text.trim().to_ascii_lowercase();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let unit = match unit.trim() {
            "" => None,
            "ether" | "eth" => Some(Unit::Ether),
            "gwei" => Some(Unit::Gwei),
            "wei" => Some(Unit::Wei),
            other => bail!("amount \"{text}\": unknown unit \"{other}\"; {HOW}"),
        };
        if number.is_empty() || number.starts_with('.') || number.matches('.').count() > 1 {
            bail!("amount \"{text}\" is not a number; {HOW}");
        }
        let amount = Self {
            number: number.to_string(),
            unit,
            text: text.trim().to_string(),
        };
        // Catch what is wrong now, before anything is sent.
        amount.base_units(18)?;
        Ok(amount)
    }
}

impl Amount {
    /// True if the amount names its unit (`5ether`, `5wei`), false for a bare number.
    pub fn has_unit(&self) -> bool {
        self.unit.is_some()
    }

    /// The amount in base units of a coin or token with `decimals` decimals: a bare number
    /// counts whole units (`5` of an 18-decimal coin is 5·10^18), a unit overrides it.
    pub fn base_units(&self, decimals: u8) -> Result<U256> {
        let decimals = self.unit.map_or(decimals, Unit::decimals);
        let fraction = self.number.split_once('.').map_or("", |(_, f)| f);
        if fraction.trim_end_matches('0').len() > usize::from(decimals) {
            bail!(
                "amount \"{}\" has more decimals than the unit has ({decimals}); {HOW}",
                self.text
            );
        }
        let value: U256 = parse_units(&self.number, decimals)
            .map_err(|e| eyre!("amount \"{}\": {e}; {HOW}", self.text))?
            .into();
        if value.is_zero() {
            bail!("amount \"{}\" is zero; give more than 0", self.text);
        }
        Ok(value)
    }

    /// The amount in wei of an 18-decimal coin (the native coin, the LST).
    pub fn wei(&self) -> Result<U256> {
        self.base_units(18)
    }
}

/// `value` base units in whole units of a `decimals`-decimal coin, without trailing zeros
/// (`5000000000000000000` → `5`, `1500000000000000000` → `1.5`).
pub fn whole(value: U256, decimals: u8) -> String {
    let text = format_units(value, decimals).unwrap_or_else(|_| value.to_string());
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// `value` wei in ether (`5`, `1.5`).
pub fn ether(value: U256) -> String {
    whole(value, 18)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wei(text: &str) -> Result<U256> {
        text.parse::<Amount>()?.wei()
    }

    #[test]
    fn reads_ether_gwei_and_wei() {
        let five = U256::from(5_000_000_000_000_000_000u128);
        assert_eq!(wei("5").unwrap(), five);
        assert_eq!(wei("5ether").unwrap(), five);
        assert_eq!(wei("5 ETH").unwrap(), five);
        assert_eq!(wei("5000000000000000000wei").unwrap(), five);
        assert_eq!(wei("5000000000gwei").unwrap(), five);
        assert_eq!(wei("0.5").unwrap(), U256::from(500_000_000_000_000_000u128));
        assert_eq!(wei("1wei").unwrap(), U256::from(1));
    }

    #[test]
    fn bare_numbers_follow_the_token_decimals_and_units_override_them() {
        let a: Amount = "3".parse().unwrap();
        assert!(!a.has_unit());
        assert_eq!(a.base_units(6).unwrap(), U256::from(3_000_000));
        let a: Amount = "3wei".parse().unwrap();
        assert_eq!(a.base_units(6).unwrap(), U256::from(3));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in [
            "",
            "abc",
            "-5",
            "5 dollars",
            "1.2.3",
            ".5",
            "0",
            "0ether",
            "1.5wei",
            "5e18",
        ] {
            assert!(wei(bad).is_err(), "{bad:?} must be refused");
        }
        let e = wei("five").unwrap_err().to_string();
        assert!(e.contains("five") && e.contains("5ether"), "{e}");
    }

    #[test]
    fn shows_whole_units() {
        assert_eq!(ether(U256::from(5_000_000_000_000_000_000u128)), "5");
        assert_eq!(ether(U256::from(1_500_000_000_000_000_000u128)), "1.5");
        assert_eq!(ether(U256::ZERO), "0");
        assert_eq!(whole(U256::from(3_000_000), 6), "3");
    }
}
