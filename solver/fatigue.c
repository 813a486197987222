/* Fatigue assessment math (see fatigue.h for the interface and
 * docs/fatigue.md for the formulas, conventions and sources). */
#include "fatigue.h"
#include "linalg.h"

#include "element.h"
#include "error.h"

#include <stdio.h>

#define FM_SQRT3 1.7320508075688772

/* Endurance limit may exceed the S-N curve at Ne by this relative amount
 * (rounding of tabulated values); more is an inconsistent material. */
#define FM_SE_CURVE_TOL 1e-3

/* ---- material check ---- */

static int bad(const FmFatigueMaterial *m, const char *ctx, const char *item,
               const char *fault) {
  return fm_error("%s: materials.%s.fatigue.%s: %s", ctx ? ctx : "fatigue",
                  m->name && m->name[0] ? m->name : "(unnamed)", item, fault);
}

/* S-N curve without k_surf and endurance limit, at N cycles. */
static double curve_strength(const FmFatigueMaterial *m, double N) {
  if (m->sn == FM_SN_BASQUIN)
    return m->Sf * pow(2.0 * N, m->b);
  const int n = m->sn_n;
  const double *x = m->sn_N, *y = m->sn_S;
  int i; /* segment used: [i, i+1]; ends extrapolate the end segments */
  if (N <= x[0])
    i = 0;
  else if (N >= x[n - 1])
    i = n - 2;
  else
    for (i = 0; i < n - 2 && N > x[i + 1]; i++) {
    }
  if (y[i] == y[i + 1])
    return y[i];
  const double t = log(N / x[i]) / log(x[i + 1] / x[i]);
  return y[i] * exp(t * log(y[i + 1] / y[i]));
}

/* Cycles at which the S-N curve (without k_surf and endurance limit) reaches
 * amplitude s > 0: the largest N with curve(N) >= s. */
static double curve_life(const FmFatigueMaterial *m, double s) {
  if (m->sn == FM_SN_BASQUIN)
    return 0.5 * pow(s / m->Sf, 1.0 / m->b);
  const int n = m->sn_n;
  const double *x = m->sn_N, *y = m->sn_S;
  const int flat_end = y[n - 2] == y[n - 1];
  int i;
  if (s > y[0])
    i = 0; /* extrapolate the first (strictly decreasing) segment */
  else {
    int j = 0; /* largest j with y[j] >= s */
    while (j + 1 < n && y[j + 1] >= s)
      j++;
    if (y[j] == s) /* on a point: right end of a plateau at s */
      return (j == n - 1 && flat_end) ? FM_FATIGUE_INFINITE_LIFE : x[j];
    if (j == n - 1) { /* below the last point */
      if (flat_end)
        return FM_FATIGUE_INFINITE_LIFE;
      i = n - 2;
    } else
      i = j; /* y[j] > s > y[j+1] */
  }
  const double t = log(s / y[i]) / log(y[i + 1] / y[i]);
  return x[i] * exp(t * log(x[i + 1] / x[i]));
}

int fm_fatigue_material_check(const FmFatigueMaterial *m, const char *ctx) {
  char msg[256], item[64];
  if (!m)
    return fm_error("%s: fatigue material: none given", ctx ? ctx : "");
#define FM_FAULT(it, ...)                                                      \
  do {                                                                         \
    snprintf(msg, sizeof msg, __VA_ARGS__);                                    \
    return bad(m, ctx, it, msg);                                               \
  } while (0)
  if (!(m->Su > 0) || !isfinite(m->Su))
    FM_FAULT("Su", "ultimate strength must be a finite number > 0 (got %g)",
             m->Su);
  if (!(m->Sy > 0) || !isfinite(m->Sy))
    FM_FAULT("Sy", "yield strength must be a finite number > 0 (got %g)",
             m->Sy);
  if (m->Sy > m->Su)
    FM_FAULT("Sy", "yield strength %g exceeds the ultimate strength Su = %g",
             m->Sy, m->Su);
  if (m->R != -1.0)
    FM_FAULT("R",
             "S-N data must be fully reversed (R = -1); got R = %g (convert "
             "them to R = -1 first)",
             m->R);
  if (!(m->k_surf > 0 && m->k_surf <= 1))
    FM_FAULT("k_surf", "surface factor must be in (0, 1] (got %g)", m->k_surf);
  if (m->sn == FM_SN_BASQUIN) {
    if (!(m->Sf > 0) || !isfinite(m->Sf))
      FM_FAULT("basquin.Sf",
               "fatigue strength coefficient must be a finite number > 0 "
               "(got %g)",
               m->Sf);
    if (!(m->b < 0) || !isfinite(m->b))
      FM_FAULT("basquin.b", "Basquin exponent must be < 0 (got %g)", m->b);
  } else if (m->sn == FM_SN_TABLE) {
    if (m->sn_n < 2 || m->sn_n > FM_SN_TABLE_MAX)
      FM_FAULT("sn_table", "needs 2 to %d points (got %d)", FM_SN_TABLE_MAX,
               m->sn_n);
    for (int i = 0; i < m->sn_n; i++) {
      snprintf(item, sizeof item, "sn_table[%d]", i);
      if (!(m->sn_N[i] > 0) || !isfinite(m->sn_N[i]))
        FM_FAULT(item, "cycles must be a finite number > 0 (got %g)",
                 m->sn_N[i]);
      if (!(m->sn_S[i] > 0) || !isfinite(m->sn_S[i]))
        FM_FAULT(item, "amplitude must be a finite number > 0 (got %g)",
                 m->sn_S[i]);
      if (i > 0 && !(m->sn_N[i] > m->sn_N[i - 1]))
        FM_FAULT(item,
                 "cycles must increase strictly along the table (%g after %g)",
                 m->sn_N[i], m->sn_N[i - 1]);
      if (i > 0 && m->sn_S[i] > m->sn_S[i - 1])
        FM_FAULT(item, "amplitude must not increase with cycles (%g after %g)",
                 m->sn_S[i], m->sn_S[i - 1]);
    }
    if (!(m->sn_S[1] < m->sn_S[0]))
      FM_FAULT("sn_table[1]",
               "the first segment must decrease (it is extrapolated above "
               "the first point); got %g then %g",
               m->sn_S[0], m->sn_S[1]);
  } else
    FM_FAULT("sn", "unknown S-N curve kind %d (basquin or table)", (int)m->sn);
  if (!(m->Se >= 0) || !isfinite(m->Se))
    FM_FAULT("Se", "endurance limit must be >= 0 (0: none) (got %g)", m->Se);
  if (m->Se > m->Su)
    FM_FAULT("Se", "endurance limit %g exceeds the ultimate strength Su = %g",
             m->Se, m->Su);
  if (m->Se > 0) {
    if (!(m->Ne > 0) || !isfinite(m->Ne))
      FM_FAULT("Ne",
               "cycle count of the endurance limit must be a finite number "
               "> 0 (got %g)",
               m->Ne);
    const double sc = curve_strength(m, m->Ne);
    if (m->Se > sc * (1.0 + FM_SE_CURVE_TOL))
      FM_FAULT("Se",
               "endurance limit %g lies above the S-N curve at Ne = %g "
               "(%g): amplitudes between would fail before Ne but count as "
               "infinite life",
               m->Se, m->Ne, sc);
  }
  if (!(m->St >= 0) || !isfinite(m->St))
    FM_FAULT("St", "torsion fatigue limit must be >= 0 (0: unknown) (got %g)",
             m->St);
  if (m->St > 0) {
    if (!(m->Se > 0))
      FM_FAULT("St",
               "a torsion fatigue limit needs the endurance limit Se (the "
               "Crossland constants use St/Se)");
    if (m->St < m->Se / FM_SQRT3 * (1.0 - 1e-12) || m->St > m->Se)
      FM_FAULT("St",
               "torsion limit must lie between Se/sqrt(3) = %g and Se = %g "
               "(got %g)",
               m->Se / FM_SQRT3, m->Se, m->St);
  }
  if (!(m->Suc >= 0) || !isfinite(m->Suc))
    FM_FAULT("Su_compression",
             "ultimate compressive strength must be >= 0 (0: unknown) (got "
             "%g)",
             m->Suc);
  if (m->stat == FM_STATIC_COULOMB_MOHR && !(m->Suc > 0))
    FM_FAULT("static_criterion",
             "coulomb_mohr needs the ultimate compressive strength "
             "Su_compression");
#undef FM_FAULT
  return 0;
}

int fm_fatigue_check_multiaxial(const FmFatigueMaterial *m, FmMultiaxial c,
                                const char *ctx) {
  if (c == FM_MULTI_SINES)
    return 0;
  if (c == FM_MULTI_CROSSLAND) {
    if (!(m->St > 0) || !(m->Se > 0))
      return bad(m, ctx, "St",
                 "the Crossland criterion needs the torsion fatigue limit St "
                 "and the endurance limit Se");
    return 0;
  }
  return bad(m, ctx, "criterion", "unknown multiaxial criterion");
}

/* ---- S-N curve ---- */

double fm_fatigue_life(const FmFatigueMaterial *m, double Sar) {
  if (isnan(Sar))
    return Sar;
  if (isinf(Sar) && Sar > 0)
    return 0.0;
  if (!(Sar > 0))
    return FM_FATIGUE_INFINITE_LIFE;
  const double s = Sar / m->k_surf;
  if (m->Se > 0 && s <= m->Se)
    return FM_FATIGUE_INFINITE_LIFE;
  return curve_life(m, s);
}

double fm_fatigue_strength(const FmFatigueMaterial *m, double N) {
  double s = curve_strength(m, N);
  if (m->Se > 0 && s < m->Se)
    s = m->Se;
  return m->k_surf * s;
}

/* ---- stress states ---- */

static double trace(const double s[6]) {
  return s[0] + s[1] + s[2];
}

/* 1 where all n values are finite numbers */
static int all_finite(const double *v, int n) {
  for (int k = 0; k < n; k++)
    if (!isfinite(v[k]))
      return 0;
  return 1;
}

/* A cycle of states that are not all numbers: everything NaN, so every
 * result made from it is NaN, never taken for safe. */
static void nan_cycle(FmFatigueCycle *c) {
  for (int k = 0; k < 6; k++)
    c->sa[k] = c->sm[k] = NAN;
  c->sh_max = c->sh_min = NAN;
}

void fm_fatigue_cycle_pair(const double s1[6], const double s2[6],
                           FmFatigueCycle *c) {
  for (int k = 0; k < 6; k++) {
    c->sa[k] = 0.5 * (s1[k] - s2[k]);
    c->sm[k] = 0.5 * (s1[k] + s2[k]);
  }
  c->sh_max = fmax(trace(s1), trace(s2)) / 3.0;
  c->sh_min = fmin(trace(s1), trace(s2)) / 3.0;
  c->i = 0;
  c->j = 1;
  if (!all_finite(s1, 6) || !all_finite(s2, 6))
    nan_cycle(c);
}

int fm_fatigue_cycle_states(const double *s, int n, FmFatigueCycle *c) {
  if (n < 1 || !s)
    return fm_error("fatigue cycle: needs at least one stress state (got %d)",
                    n);
  int bi = 0, bj = 0;
  double best = -1.0, shmax = -HUGE_VAL, shmin = HUGE_VAL;
  for (int i = 0; i < n; i++) {
    const double *si = s + 6 * i;
    shmax = fmax(shmax, trace(si) / 3.0);
    shmin = fmin(shmin, trace(si) / 3.0);
    for (int j = i + 1; j < n; j++) {
      double d[6];
      for (int k = 0; k < 6; k++)
        d[k] = si[k] - s[6 * j + k];
      const double v = fm_von_mises(d);
      if (v > best) {
        best = v;
        bi = i;
        bj = j;
      }
    }
  }
  fm_fatigue_cycle_pair(s + 6 * bi, s + 6 * bj, c);
  c->sh_max = shmax;
  c->sh_min = shmin;
  c->i = bi;
  c->j = bj;
  if (!all_finite(s, 6 * n))
    nan_cycle(c);
  return 0;
}

double fm_signed_von_mises(const double s[6]) {
  const double v = fm_von_mises(s);
  return trace(s) < 0 ? -v : v;
}

double fm_signed_max_principal(const double s[6]) {
  double p[3];
  fm_principal(s, p); /* descending */
  return fabs(p[2]) > fabs(p[0]) ? p[2] : p[0];
}

/* Eigenvalues l and unit eigenvectors v[k] (rows) of the symmetric matrix
 * of Voigt s. */
static void sym_eigen(const double s[6], double l[3], double v[3][3]) {
  double a[9] = {s[0], s[3], s[5], s[3], s[1], s[4], s[5], s[4], s[2]};
  fm_sym_eigen(3, a, l, &v[0][0]);
}

/* n^T S m for Voigt S */
static double form(const double S[6], const double n[3], const double m[3]) {
  return n[0] * (S[0] * m[0] + S[3] * m[1] + S[5] * m[2]) +
         n[1] * (S[3] * m[0] + S[1] * m[1] + S[4] * m[2]) +
         n[2] * (S[5] * m[0] + S[4] * m[1] + S[2] * m[2]);
}

double fm_mean_on_amplitude_plane(const double sa[6], const double sm[6]) {
  if (!all_finite(sa, 6) || !all_finite(sm, 6))
    return NAN;
  double p[3];
  fm_principal(sm, p);
  double la[3], va[3][3];
  sym_eigen(sa, la, va);
  const double M = fmax(fabs(la[0]), fmax(fabs(la[1]), fabs(la[2])));
  if (!(M > 0))
    return p[0]; /* no amplitude, no plane: the most tensile normal mean */
  const double tol = 1e-9 * M;
  double best = -HUGE_VAL;
  for (int sign = -1; sign <= 1; sign += 2) {
    /* the directions of the largest amplitude with this sign: their span
     * holds only such directions (an amplitude of -M and +M mixed is
     * smaller), so the mean is maximised over each span apart */
    int k[3], nk = 0;
    for (int i = 0; i < 3; i++)
      if (fabs(la[i] - sign * M) <= tol)
        k[nk++] = i;
    double q;
    if (nk == 0)
      continue;
    if (nk == 1) {
      q = form(sm, va[k[0]], va[k[0]]);
    } else if (nk == 2) { /* the larger eigenvalue of sm on the plane */
      const double a = form(sm, va[k[0]], va[k[0]]),
                   b = form(sm, va[k[0]], va[k[1]]),
                   c = form(sm, va[k[1]], va[k[1]]);
      q = 0.5 * (a + c) + sqrt(0.25 * (a - c) * (a - c) + b * b);
    } else {
      q = p[0];
    }
    best = fmax(best, q);
  }
  return best;
}

void fm_fatigue_equivalent(const FmFatigueCycle *c, FmEquivalent eq, double *Sa,
                           double *Sm) {
  if (!all_finite(c->sa, 6) || !all_finite(c->sm, 6)) {
    *Sa = *Sm = NAN;
    return;
  }
  if (eq == FM_EQ_SIGNED_MAX_PRINCIPAL) {
    *Sa = fabs(fm_signed_max_principal(c->sa));
    *Sm = fm_mean_on_amplitude_plane(c->sa, c->sm);
  } else {
    *Sa = fm_von_mises(c->sa);
    *Sm = fm_signed_von_mises(c->sm);
  }
}

/* ---- uniaxial assessment ---- */

double fm_fatigue_sar(const FmFatigueMaterial *m, FmMeanCorrection c, double Sa,
                      double Sm) {
  if (isnan(Sa) || isnan(Sm))
    return NAN;
  Sa = fabs(Sa);
  if (c == FM_MEAN_SWT) {
    const double smax = Sm + Sa;
    return smax > 0 ? sqrt(smax * Sa) : 0.0;
  }
  if (c == FM_MEAN_NONE)
    return Sa;
  const double strength = c == FM_MEAN_SODERBERG ? m->Sy : m->Su;
  const double r = Sm > 0 ? Sm / strength : 0.0; /* compression: no credit */
  if (r >= 1.0)
    return HUGE_VAL; /* static failure */
  return c == FM_MEAN_GERBER ? Sa / (1.0 - r * r) : Sa / (1.0 - r);
}

double fm_fatigue_safety(const FmFatigueMaterial *m, FmMeanCorrection c,
                         double Sa, double Sm, double Nd) {
  if (isnan(Sa) || isnan(Sm))
    return NAN;
  const double Sd = fm_fatigue_strength(m, Nd);
  Sa = fabs(Sa);
  if (c == FM_MEAN_SWT) {
    /* Sar(n) = n sqrt(Smax Sa) */
    const double smax = Sm + Sa;
    const double q = smax > 0 ? sqrt(smax * Sa) : 0.0;
    return q > 0 ? Sd / q : HUGE_VAL;
  }
  if (c == FM_MEAN_NONE)
    return Sa > 0 ? Sd / Sa : HUGE_VAL;
  const double strength = c == FM_MEAN_SODERBERG ? m->Sy : m->Su;
  const double r = Sm > 0 ? Sm / strength : 0.0;
  if (c == FM_MEAN_GERBER) {
    /* n Sa / (1 - n^2 r^2) = Sd  <=>  Sd r^2 n^2 + Sa n - Sd = 0; positive
     * root written without cancellation: n = 2 Sd / (Sa + sqrt(Sa^2 +
     * 4 Sd^2 r^2)) */
    const double den = Sa + sqrt(Sa * Sa + 4.0 * Sd * Sd * r * r);
    return den > 0 ? 2.0 * Sd / den : HUGE_VAL;
  }
  /* Goodman and Soderberg: n Sa / (1 - n r) = Sd  <=>  1/n = Sa/Sd + r */
  const double inv = (Sa > 0 ? Sa / Sd : 0.0) + r;
  return inv > 0 ? 1.0 / inv : HUGE_VAL;
}

/* ---- multiaxial assessment ---- */

void fm_fatigue_multiaxial_constants(const FmFatigueMaterial *m, FmMultiaxial c,
                                     double Nd, double *alpha, double *beta) {
  const double f = fm_fatigue_strength(m, Nd);
  if (c == FM_MULTI_CROSSLAND) {
    const double lambda = m->St > 0 && m->Se > 0 ? m->St / m->Se : NAN;
    *alpha = 3.0 * lambda - FM_SQRT3;
    *beta = lambda * f;
  } else {
    *alpha = f / (FM_SQRT3 * m->Su);
    *beta = f / FM_SQRT3;
  }
}

/* Sines' 3 sigma_h,mean: the hydrostatic stress's mean over all the
 * cycle's states, (sigma_h,max + sigma_h,min) / 2, times 3 (Socie &
 * Marquis 2000, ch. 4); for two states I1(sm) */
static double sines_mean(const FmFatigueCycle *cy) {
  return 1.5 * (cy->sh_max + cy->sh_min);
}

double fm_fatigue_sar_multiaxial(const FmFatigueMaterial *m, FmMultiaxial c,
                                 const FmFatigueCycle *cy) {
  const double vma = fm_von_mises(cy->sa); /* sqrt(3 J2,a) */
  if (c == FM_MULTI_CROSSLAND) {
    const double lambda = m->St > 0 && m->Se > 0 ? m->St / m->Se : NAN;
    if (isnan(vma) || isnan(cy->sh_max))
      return NAN;
    const double h = fmax(cy->sh_max, 0.0);
    return (vma / FM_SQRT3 + (3.0 * lambda - FM_SQRT3) * h) / lambda;
  }
  const double r = fmax(sines_mean(cy), 0.0) / m->Su; /* 3 sigma_h,m / Su */
  if (isnan(vma) || isnan(r))
    return NAN;
  if (r >= 1.0)
    return HUGE_VAL;
  return vma / (1.0 - r);
}

double fm_fatigue_safety_multiaxial(const FmFatigueMaterial *m, FmMultiaxial c,
                                    const FmFatigueCycle *cy, double Nd) {
  const double Sd = fm_fatigue_strength(m, Nd);
  if (c == FM_MULTI_CROSSLAND) { /* Sar is homogeneous of degree 1 */
    const double q = fm_fatigue_sar_multiaxial(m, c, cy);
    if (isnan(q))
      return q; /* no torsion limit: see the precondition */
    return q > 0 ? Sd / q : HUGE_VAL;
  }
  /* Sines in Goodman form: 1/n = vm(sa)/Sd + max(I1(sm), 0)/Su */
  const double vma = fm_von_mises(cy->sa), h3 = sines_mean(cy);
  if (isnan(vma) || isnan(h3))
    return NAN;
  const double inv = (vma > 0 ? vma / Sd : 0.0) + fmax(h3, 0.0) / m->Su;
  return inv > 0 ? 1.0 / inv : HUGE_VAL;
}

/* ---- static check and damage ---- */

double fm_static_safety(const FmFatigueMaterial *m, const double s[6]) {
  if (!all_finite(s, 6))
    return NAN;
  double inv;
  if (m->stat == FM_STATIC_COULOMB_MOHR) {
    double p[3];
    fm_principal(s, p); /* descending */
    inv = fmax(p[0], 0.0) / m->Su + fmax(-p[2], 0.0) / m->Suc;
  } else
    inv = fm_von_mises(s) / m->Sy;
  return inv > 0 ? 1.0 / inv : HUGE_VAL;
}

double fm_miner_block(double n, double N) {
  if (!(n > 0) || isinf(N))
    return 0.0;
  if (!(N > 0))
    return HUGE_VAL;
  return n / N;
}

double fm_miner_sum(int nblocks, const double *n, const double *N) {
  double D = 0.0;
  for (int i = 0; i < nblocks; i++)
    D += fm_miner_block(n[i], N[i]);
  return D;
}
