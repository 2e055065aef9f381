//! An additive model over binned features: each feature's values are cut into bins at
//! their quantiles, and a logistic regression over the bins (one indicator per bin) is
//! fitted by Newton's method with a small ridge penalty. A row's log-odds is the
//! intercept plus, per feature, the log-odds of the bin its value falls in: an exact
//! lookup, so each feature's part in a score is known and the parts add up to it.
//!
//! The partner finder's learned ranking is such a model ([`super::learned`]).

/// Ridge penalty on the bins' log-odds (not on the intercept).
const RIDGE: f64 = 1e-3;

/// The bins of each feature and the log-odds each bin adds.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    /// Per feature: the cut points, ascending; a value
    /// falls in the bin numbered by how many cut points are at or below it.
    pub edges: Vec<Vec<f64>>,
    /// Per feature: the log-odds of each bin (one more than its cut points).
    pub log_odds: Vec<Vec<f64>>,
}

impl Bins {
    /// The bin of `value` for feature `i`.
    pub fn bin(&self, i: usize, value: f64) -> usize {
        self.edges[i].partition_point(|e| *e <= value)
    }

    /// What feature `i` at `value` adds to a score (0 for a feature the model lacks).
    pub fn contribution(&self, i: usize, value: f64) -> f64 {
        self.log_odds
            .get(i)
            .and_then(|odds| odds.get(self.bin(i, value)))
            .copied()
            .unwrap_or(0.0)
    }
}

/// Cut points of `values` at the `1/bins … (bins-1)/bins` positions of their sorted
/// order, repeated ones merged. A value repeated past a bin's share (zero, for the
/// signals of shared partners) also gets the next larger value as a cut point, so it is
/// a bin of its own, apart from the values just above it; a cut point at the smallest
/// value would leave an empty bin below it, and is dropped.
fn quantile_edges(mut values: Vec<f64>, bins: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let share = values.len() / bins.max(1);
    let mut edges: Vec<f64> = (1..bins)
        .filter_map(|q| values.get(q * values.len() / bins).copied())
        .collect();
    edges.dedup();
    let above: Vec<f64> = edges
        .iter()
        .filter_map(|e| {
            let first = values.partition_point(|v| v < e);
            let after = values.partition_point(|v| v <= e);
            (after - first >= share.max(1))
                .then(|| values.get(after).copied())
                .flatten()
        })
        .collect();
    edges.extend(above);
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    if let Some(&smallest) = values.first() {
        edges.retain(|e| *e > smallest);
    }
    edges
}

/// Fits the model to `rows` (features, and 1 or 0), with at most `bins` bins per
/// feature: the bins with their log-odds, and the intercept.
// Dense matrix arithmetic reads plainest with indices.
#[allow(clippy::needless_range_loop)]
pub fn binned_logistic(rows: &[(Vec<f64>, f64)], bins: usize) -> (Bins, f64) {
    let width = rows.first().map_or(0, |r| r.0.len());
    let edges: Vec<Vec<f64>> = (0..width)
        .map(|j| quantile_edges(rows.iter().map(|r| r.0[j]).collect(), bins))
        .collect();
    let mut offsets = Vec::with_capacity(width);
    let mut dim = 0;
    for e in &edges {
        offsets.push(dim);
        dim += e.len() + 1;
    }
    let intercept_at = dim;
    dim += 1;
    // Each row as the indices of its bins (one per signal) and the intercept.
    let active: Vec<(Vec<usize>, f64)> = rows
        .iter()
        .map(|(x, y)| {
            let mut at: Vec<usize> = x
                .iter()
                .enumerate()
                .map(|(j, v)| offsets[j] + edges[j].partition_point(|e| *e <= *v))
                .collect();
            at.push(intercept_at);
            (at, *y)
        })
        .collect();
    let n = rows.len().max(1) as f64;
    let mut beta = vec![0.0; dim];
    for _ in 0..50 {
        let mut gradient = vec![0.0; dim];
        let mut hessian = vec![vec![0.0; dim]; dim];
        for (at, y) in &active {
            let z: f64 = at.iter().map(|i| beta[*i]).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let w = (p * (1.0 - p)).max(1e-12);
            for &i in at {
                gradient[i] += y - p;
                for &j in at {
                    hessian[i][j] += w;
                }
            }
        }
        for i in 0..intercept_at {
            gradient[i] -= RIDGE * n * beta[i];
            hessian[i][i] += RIDGE * n;
        }
        let Some(step) = solve(hessian, gradient) else {
            break;
        };
        let size: f64 = step.iter().map(|s| s.abs()).fold(0.0, f64::max);
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
        if size < 1e-9 {
            break;
        }
    }
    let log_odds = edges
        .iter()
        .enumerate()
        .map(|(j, e)| beta[offsets[j]..offsets[j] + e.len() + 1].to_vec())
        .collect();
    (Bins { edges, log_odds }, beta[intercept_at])
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
#[allow(clippy::needless_range_loop)]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= factor * a[col][k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binned_logistic_regression_learns_a_step() {
        // y = 1 exactly when x0 > 0.5 (x1 is noise): x0's bins above the step outweigh
        // those below it, and x1's bins stay near one another.
        let mut rows = Vec::new();
        for i in 0..40 {
            for j in 0..40 {
                let (x0, x1) = (f64::from(i) / 40.0, f64::from((j * 7) % 40) / 40.0);
                rows.push((vec![x0, x1], f64::from(u8::from(x0 > 0.5))));
            }
        }
        let (bins, _) = binned_logistic(&rows, 8);
        let low = bins.contribution(0, 0.1);
        let high = bins.contribution(0, 0.9);
        assert!(high - low > 4.0, "{low} {high}");
        let spread = bins.log_odds[1].iter().fold(0.0_f64, |m, w| m.max(w.abs()));
        assert!(spread < 0.5, "{:?}", bins.log_odds[1]);
    }

    #[test]
    fn a_value_falls_in_the_bin_its_cut_points_name() {
        let bins = Bins {
            edges: vec![vec![0.0, 1.0, 2.0]],
            log_odds: vec![vec![-1.0, 0.5, 1.5, 3.0]],
        };
        assert_eq!(bins.contribution(0, -0.5), -1.0);
        assert_eq!(bins.contribution(0, 0.0), 0.5);
        assert_eq!(bins.contribution(0, 1.5), 1.5);
        assert_eq!(bins.contribution(0, 9.0), 3.0);
        // A signal the model does not know adds nothing.
        assert_eq!(bins.contribution(3, 1.0), 0.0);
    }

    #[test]
    fn a_mostly_zero_signal_keeps_a_bin_for_zero() {
        let mut values = vec![0.0; 90];
        values.extend((1..=10).map(f64::from));
        let edges = quantile_edges(values, 12);
        // The smallest value above zero is a cut point: zero has its own bin.
        assert_eq!(edges.first(), Some(&1.0));
        let bins = Bins {
            log_odds: vec![vec![0.0; edges.len() + 1]],
            edges: vec![edges],
        };
        assert_eq!(bins.bin(0, 0.0), 0);
        assert_eq!(bins.bin(0, 1.0), 1);
        // A continuous signal gets no sliver bins: each holds about its share.
        let spread: Vec<f64> = (0..1200).map(f64::from).collect();
        let edges = quantile_edges(spread, 12);
        assert_eq!(edges.len(), 11);
        assert!(edges.windows(2).all(|w| w[1] - w[0] >= 99.0), "{edges:?}");
    }

    #[test]
    fn solve_handles_a_small_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
    }
}
