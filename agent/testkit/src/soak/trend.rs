//! Time series the soak samples (resident memory, open descriptors) and how they are judged:
//! the mean of the first 10% of the samples against the mean of the last 10%, and the
//! least-squares slope over the whole run.

/// Samples of one figure over the run.
#[derive(Clone, Debug)]
pub struct Series {
    /// What was sampled, e.g. `agent RSS`.
    pub name: String,
    /// `(seconds since the start, value)`.
    pub points: Vec<(f64, f64)>,
}

/// The verdict figures of a [`Series`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trend {
    /// Mean of the first 10% of the samples (at least one).
    pub first: f64,
    /// Mean of the last 10% of the samples (at least one).
    pub last: f64,
    /// The largest sample.
    pub max: f64,
    /// Least-squares slope, per hour.
    pub slope_per_hour: f64,
    /// How many samples.
    pub n: usize,
}

impl Series {
    /// An empty series.
    pub fn new(name: impl Into<String>) -> Series {
        Series {
            name: name.into(),
            points: Vec::new(),
        }
    }

    /// Adds a sample.
    pub fn push(&mut self, at_secs: f64, value: f64) {
        self.points.push((at_secs, value));
    }

    /// The figures, `None` without samples.
    pub fn trend(&self) -> Option<Trend> {
        let n = self.points.len();
        if n == 0 {
            return None;
        }
        let tenth = n.div_ceil(10);
        let mean = |p: &[(f64, f64)]| p.iter().map(|&(_, v)| v).sum::<f64>() / p.len() as f64;
        let (mt, mv) = (
            self.points.iter().map(|&(t, _)| t).sum::<f64>() / n as f64,
            mean(&self.points),
        );
        let (mut num, mut den) = (0.0, 0.0);
        for &(t, v) in &self.points {
            num += (t - mt) * (v - mv);
            den += (t - mt) * (t - mt);
        }
        Some(Trend {
            first: mean(&self.points[..tenth]),
            last: mean(&self.points[n - tenth..]),
            max: self.points.iter().map(|&(_, v)| v).fold(f64::MIN, f64::max),
            slope_per_hour: if den > 0.0 { num / den * 3600.0 } else { 0.0 },
            n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_last_and_slope() {
        let mut s = Series::new("x");
        assert_eq!(s.trend(), None);
        for i in 0..100 {
            s.push(f64::from(i) * 36.0, 1000.0 + f64::from(i));
        }
        let t = s.trend().unwrap();
        assert_eq!(t.n, 100);
        assert!((t.first - 1004.5).abs() < 1e-9, "{t:?}");
        assert!((t.last - 1094.5).abs() < 1e-9, "{t:?}");
        assert!((t.slope_per_hour - 100.0).abs() < 1e-6, "{t:?}");
        assert_eq!(t.max, 1099.0);
    }
}
