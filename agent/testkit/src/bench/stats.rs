//! Statistics of a benchmark's runs and samples: median, percentiles and the min–max spread.
//! [`crate::summary::Stats`] is the same for the results files.

/// The median of the finite values of `v` (`NaN` when there are none).
pub fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// The smallest and the largest value (`(inf, -inf)` for none).
pub fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// The spread of `v` as text, `"min–max"` with `prec` decimals.
pub fn spread(v: &[f64], prec: usize) -> String {
    let (lo, hi) = min_max(v);
    format!("{lo:.prec$}–{hi:.prec$}")
}

/// The nearest-rank `p`-th percentile (`p` in 0..=100) of unsorted samples (`NaN` for none).
pub fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
    s[rank.min(s.len()) - 1]
}

/// The `q` quantile (`q` in 0..=1) of the samples that are not negative (a negative sample marks
/// one that never arrived), by rounded rank: the sample at `round((n - 1) × q)` in sorted order
/// (`NaN` for none).
pub fn quantile_of_arrived(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| *x >= 0.0).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * q).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_percentiles_and_spreads() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0, f64::NAN]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(min_max(&[2.0, -1.0, 5.0]), (-1.0, 5.0));
        assert_eq!(spread(&[1.234, 5.0], 1), "1.2–5.0");
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 1.0), 7.0);
        assert_eq!(quantile_of_arrived(&[-1.0, 1.0, 2.0, 3.0], 0.5), 2.0);
        assert_eq!(quantile_of_arrived(&[-1.0, 1.0, 2.0, 3.0], 1.0), 3.0);
        assert!(quantile_of_arrived(&[-1.0], 0.5).is_nan());
    }
}
