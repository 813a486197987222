/* Fatigue assessment math for Femora: S-N curves, mean-stress corrections,
 * multiaxial criteria, lives, safety factors and Miner's rule.
 *
 * A self-contained library layer (CPU only, double precision).  The per-node
 * functions are pure: no globals, no allocation, no I/O; they never fail on
 * valid input and never return NaN for a checked material (and criterion:
 * fm_fatigue_check_multiaxial) and finite stresses; a stress that is not
 * a finite number gives NaN safety factors, amplitudes and lives (never a
 * value that reads as safe).  Only the
 * checks (fm_fatigue_material_check, fm_fatigue_check_multiaxial) and
 * fm_fatigue_cycle_states (empty list) record an error with fm_error().
 * The formulas, conventions and sources are in docs/fatigue.md.
 *
 * Conventions
 *  - Stresses in any consistent unit (Femora's examples: MPa).  Voigt order
 *    xx yy zz xy yz xz, as in element.h.
 *  - Lives N are cycles (reversals are 2N).  Infinite life is reported as
 *    FM_FATIGUE_INFINITE_LIFE (= HUGE_VAL, +inf under IEEE 754; test it with
 *    isinf()).  A failed state (mean stress at or above the strength) has an
 *    equivalent amplitude of +inf and a life of 0.  Do not build this file
 *    with -ffast-math (it relies on infinities).
 *  - S-N data are fully reversed (R = -1) stress amplitudes.  The surface /
 *    process factor k_surf multiplies the whole curve and the endurance
 *    limit: S_eff(N) = k_surf * S_curve(N).
 *  - Amplitudes are >= 0; means are signed (tension > 0).
 */
#ifndef FEMORA_FATIGUE_H
#define FEMORA_FATIGUE_H

#include <math.h>

/* Life reported for amplitudes at or below the endurance limit. */
#define FM_FATIGUE_INFINITE_LIFE HUGE_VAL
/* Most points in an S-N table (fixed size: materials need no allocation). */
#define FM_SN_TABLE_MAX 16

typedef enum {
  FM_SN_BASQUIN = 0, /* Sa = Sf (2N)^b  (Basquin 1910), b < 0 */
  FM_SN_TABLE = 1    /* points (N_i, Sa_i), interpolated linearly in log-log */
} FmSnKind;

/* Static failure criteria of one stress state (Budynas & Nisbett,
 * Shigley's Mechanical Engineering Design, 10th ed., ch. 5: distortion energy
 * for ductile, brittle Coulomb-Mohr for brittle materials). */
typedef enum {
  FM_STATIC_VON_MISES = 0, /* ductile (distortion energy): n = Sy / vm */
  FM_STATIC_COULOMB_MOHR   /* brittle: 1/n = max(s1, 0)/Su + max(-s3, 0)/Suc,
                              s1 >= s2 >= s3 the principal stresses */
} FmStaticCriterion;

/* Fatigue data of one material (one surface/process variant). */
typedef struct {
  const char *name;   /* material key, used in error messages */
  const char *source; /* free text: where the values come from (not owned) */
  double Sy, Su;      /* yield and ultimate tensile strength, 0 < Sy <= Su */
  FmSnKind sn;
  double Sf, b; /* Basquin: fatigue strength coefficient (> 0), exponent < 0 */
  int sn_n;     /* table: number of points, 2..FM_SN_TABLE_MAX */
  double sn_N[FM_SN_TABLE_MAX]; /* cycles, > 0, strictly increasing */
  double sn_S[FM_SN_TABLE_MAX]; /* amplitudes, > 0, non-increasing, the first
                                   segment strictly decreasing */
  double Se; /* endurance limit (amplitude, R = -1) at Ne cycles; 0 = none */
  double Ne; /* cycle count at which Se is stated (> 0 when Se > 0) */
  double k_surf; /* surface/process factor, 0 < k_surf <= 1 */
  double R;      /* stress ratio of the S-N data: must be -1 */
  double St;     /* fully reversed torsion fatigue limit at Ne, same surface as
                    Se; 0 = unknown (then Crossland cannot be used) */
  FmStaticCriterion stat; /* the static check's criterion */
  double Suc; /* ultimate compressive strength (a magnitude, > 0); 0 =
                 unknown (then Coulomb-Mohr cannot be used) */
} FmFatigueMaterial;

/* Mean-stress corrections: equivalent fully reversed amplitude Sar. */
typedef enum {
  FM_MEAN_NONE = 0,  /* Sar = Sa */
  FM_MEAN_GOODMAN,   /* Sar = Sa / (1 - Sm/Su),     Sm < 0 taken as 0 */
  FM_MEAN_GERBER,    /* Sar = Sa / (1 - (Sm/Su)^2), Sm < 0 taken as 0 */
  FM_MEAN_SODERBERG, /* Sar = Sa / (1 - Sm/Sy),     Sm < 0 taken as 0 */
  FM_MEAN_SWT        /* Sar = sqrt(Smax Sa), Smax = Sm + Sa; Smax <= 0: 0 */
} FmMeanCorrection;

/* Multiaxial stress-invariant criteria (Socie & Marquis 2000, ch. 4;
 * Papadopoulos et al. 1997, Int J Fatigue 19:219). */
typedef enum {
  FM_MULTI_SINES = 0, /* sqrt(J2,a) + alpha * 3 sigma_h,mean <= beta */
  FM_MULTI_CROSSLAND  /* sqrt(J2,a) + alpha * sigma_h,max   <= beta */
} FmMultiaxial;

/* Scalar equivalents of the amplitude and mean tensors. */
typedef enum {
  FM_EQ_SIGNED_VON_MISES = 0, /* Sa = vm(sa), Sm = sign(I1(sm)) vm(sm) */
  FM_EQ_SIGNED_MAX_PRINCIPAL  /* Sa = max|p(sa)|, Sm = n.sm.n on its plane */
} FmEquivalent;

/* One load cycle at one point, reduced to amplitude and mean tensors. */
typedef struct {
  double sa[6];  /* amplitude tensor (s_i - s_j) / 2 */
  double sm[6];  /* mean tensor (s_i + s_j) / 2 */
  double sh_max; /* largest hydrostatic stress (trace / 3) over all states */
  double sh_min; /* smallest hydrostatic stress over all states */
  int i, j;      /* the pair of states that defines sa and sm */
} FmFatigueCycle;

/* ---- material ---- */

/* Check a material; on a fault record one line
 *   "<ctx>: materials.<name>.fatigue.<item>: <fault>"
 * (ctx is typically the file name) and return non-zero. */
int fm_fatigue_material_check(const FmFatigueMaterial *m, const char *ctx);
/* Check that criterion c can be evaluated for m (Crossland needs St). */
int fm_fatigue_check_multiaxial(const FmFatigueMaterial *m, FmMultiaxial c,
                                const char *ctx);

/* ---- S-N curve (include k_surf and the endurance limit) ---- */

/* Cycles to failure at the fully reversed amplitude Sar: infinite when
 * Sar <= k_surf Se (or Sar <= 0, or below a flat last table segment), 0 when
 * Sar is +inf. */
double fm_fatigue_life(const FmFatigueMaterial *m, double Sar);
/* Fully reversed fatigue strength at N cycles: the largest amplitude whose
 * life is >= N, i.e. k_surf * max(S_curve(N), Se). */
double fm_fatigue_strength(const FmFatigueMaterial *m, double N);

/* ---- stress states ---- */

/* Amplitude and mean of a cycle between two states (i = 0, j = 1). */
void fm_fatigue_cycle_pair(const double s1[6], const double s2[6],
                           FmFatigueCycle *c);
/* Cycle from n states s[6n]: the pair (i < j) with the largest von Mises of
 * s_i - s_j ("longest chord"; O(n^2) pairs).  One state: zero amplitude.
 * n < 1 is an error.  A state holding a NaN or an infinity makes every
 * field of the cycle NaN (and so every result made from it: never safe). */
int fm_fatigue_cycle_states(const double *s, int n, FmFatigueCycle *c);

/* von Mises stress carrying the sign of the first invariant I1 = trace
 * (I1 = 0 counts as positive). */
double fm_signed_von_mises(const double s[6]);
/* The principal stress of largest magnitude, with its sign (a tie between
 * +p and -p gives +p). */
double fm_signed_max_principal(const double s[6]);
/* The normal mean stress n.sm.n on the plane of the largest principal
 * amplitude: n the unit principal direction of sa whose eigenvalue has the
 * largest magnitude (Socie & Marquis 2000: the mean stress normal to the
 * plane of the amplitude).  Where that direction is not unique (equal
 * principal amplitudes; +M and -M both), the largest mean over them
 * (conservative); no amplitude: the largest principal of sm.  NaN where
 * sa or sm holds one. */
double fm_mean_on_amplitude_plane(const double sa[6], const double sm[6]);
/* Equivalent amplitude (>= 0) and signed mean of a cycle (NaN both where
 * the cycle holds a NaN). */
void fm_fatigue_equivalent(const FmFatigueCycle *c, FmEquivalent eq, double *Sa,
                           double *Sm);

/* ---- uniaxial (equivalent-stress) assessment ---- */

/* Equivalent fully reversed amplitude (+inf when the mean reaches Su, or Sy
 * for Soderberg). */
double fm_fatigue_sar(const FmFatigueMaterial *m, FmMeanCorrection c, double Sa,
                      double Sm);
/* Fatigue safety factor at design life Nd: the n with
 * Sar(n Sa, n Sm) = fm_fatigue_strength(m, Nd) (closed form); +inf when no
 * scaling reaches it (e.g. zero amplitude and compressive mean). */
double fm_fatigue_safety(const FmFatigueMaterial *m, FmMeanCorrection c,
                         double Sa, double Sm, double Nd);

/* ---- multiaxial assessment ---- */

/* Constants of criterion c in the sqrt(J2) form at design life Nd, with
 * f = fm_fatigue_strength(m, Nd):
 *   Sines:     alpha = f / (sqrt(3) Su), beta = f / sqrt(3)
 *   Crossland: alpha = 3 lambda - sqrt(3), beta = lambda f, lambda = St/Se. */
void fm_fatigue_multiaxial_constants(const FmFatigueMaterial *m, FmMultiaxial c,
                                     double Nd, double *alpha, double *beta);
/* Equivalent fully reversed uniaxial amplitude of the cycle under c:
 *   Sines:     vm(sa) / (1 - max(3 sigma_h,mean, 0) / Su), sigma_h,mean =
 *              (sh_max + sh_min) / 2 over all states (I1(sm) for two)
 *   Crossland: (sqrt(J2,a) + (3 lambda - sqrt(3)) max(sh_max, 0)) / lambda
 * Its life is fm_fatigue_life(m, Sar).  Compressive hydrostatic stress gets
 * no credit (taken as 0).  Crossland needs St and Se: call
 * fm_fatigue_check_multiaxial() once per material; without them the Crossland
 * functions return NaN. */
double fm_fatigue_sar_multiaxial(const FmFatigueMaterial *m, FmMultiaxial c,
                                 const FmFatigueCycle *cy);
/* Safety factor at Nd: the n for which the cycle scaled by n (all states)
 * meets criterion c with equality, i.e. life(Sar(n cycle)) = Nd. */
double fm_fatigue_safety_multiaxial(const FmFatigueMaterial *m, FmMultiaxial c,
                                    const FmFatigueCycle *cy, double Nd);

/* ---- static check and damage ---- */

/* Static safety factor of one stress state s (Voigt) under m's criterion:
 * the factor n by which s may be scaled before it fails (+inf for a state
 * that no scaling fails, NaN for a state that is not finite). */
double fm_static_safety(const FmFatigueMaterial *m, const double s[6]);
/* Miner damage of one block of n cycles with life N (0 for infinite life or
 * n = 0; +inf for N = 0 and n > 0). */
double fm_miner_block(double n, double N);
/* Sum of block damages (failure predicted at D >= 1). */
double fm_miner_sum(int nblocks, const double *n, const double *N);

#endif
