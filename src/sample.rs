//! The sales explorer's large example dataset, made instead of committed: `runnel sample-data`
//! writes N synthetic orders of 2024 with the columns of `data/sales.csv`. A fixed seed and our
//! own small generator (SplitMix64) make the file the same, byte for byte, on every machine.

use std::io::Write;
use std::path::Path;

const REGIONS: [&str; 4] = ["North", "South", "East", "West"];
const PRODUCTS: [(&str, f64); 4] = [("Widgets", 2.5), ("Gadgets", 10.0), ("Gizmos", 68.75), ("Doohickeys", 11.43)];
const CHANNELS: [&str; 2] = ["Online", "Retail"];
const DAYS_IN_MONTH: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// SplitMix64: tiny, fast, and fully determined by its seed.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes `rows` orders, sorted by date, to `path` (its folder is created when missing).
pub fn write_sales(path: &Path, rows: usize) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "date,month,region,product,channel,units,unit_price,revenue")?;
    let mut numbers = Numbers(2024);
    for i in 0..rows {
        // Spread the orders evenly over the year, in date order.
        let day_of_year = (i as u64 * 366 / rows.max(1) as u64) as u32;
        let (month, day) = month_and_day(day_of_year);
        let region = REGIONS[numbers.below(4) as usize];
        let (product, base_price) = PRODUCTS[numbers.below(4) as usize];
        let channel = CHANNELS[numbers.below(2) as usize];
        let units = 1 + numbers.below(60);
        let cents = (base_price * 100.0) as u64 + numbers.below(200);
        let revenue = units * cents;
        writeln!(
            out,
            "2024-{month:02}-{day:02},2024-{month:02},{region},{product},{channel},{units},{}.{:02},{}.{:02}",
            cents / 100,
            cents % 100,
            revenue / 100,
            revenue % 100
        )?;
    }
    out.flush()
}

/// Month (1-12) and day (1-31) of a day of 2024 counted from 0.
fn month_and_day(mut day_of_year: u32) -> (u32, u32) {
    for (i, days) in DAYS_IN_MONTH.iter().enumerate() {
        if day_of_year < *days {
            return (i as u32 + 1, day_of_year + 1);
        }
        day_of_year -= days;
    }
    (12, 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_is_the_same_every_time_and_in_date_order() {
        let dir = std::env::temp_dir().join(format!("runnel-sample-{}", std::process::id()));
        let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
        write_sales(&a, 1000).unwrap();
        write_sales(&b, 1000).unwrap();
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text, std::fs::read_to_string(&b).unwrap());
        let dates: Vec<&str> = text.lines().skip(1).map(|l| &l[..10]).collect();
        assert_eq!(dates.len(), 1000);
        assert!(dates.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!((dates[0], dates[999]), ("2024-01-01", "2024-12-31"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn days_of_the_leap_year_map_to_months() {
        assert_eq!(month_and_day(0), (1, 1));
        assert_eq!(month_and_day(59), (2, 29));
        assert_eq!(month_and_day(365), (12, 31));
    }
}
