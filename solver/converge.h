/* Mesh-convergence evidence (docs/validation.md): a case solved on
 * successively refined meshes of its geometry script, with, for each
 * quantity of interest, the observed order, the Richardson-extrapolated
 * value and the grid convergence index of the finest mesh (Celik et al.
 * 2008, J Fluids Eng 130:078001, the procedure recommended for ASME V&V 20
 * and used as V&V 40 credibility evidence; Roache 1998). */
#ifndef FEMORA_CONVERGE_H
#define FEMORA_CONVERGE_H

#include "run.h"

#define FM_CONVERGE_MAX_LEVELS 8
#define FM_CONVERGE_MAX_Q 64

typedef struct {
  char name[512];
  double value[FM_CONVERGE_MAX_LEVELS];
  double order;          /* observed order p (NAN when it cannot be computed) */
  double extrapolated;   /* Richardson: (r21^p f1 - f2) / (r21^p - 1) */
  double gci_fine;       /* Fs |(f1 - f2) / f1| / (r21^q - 1): in the
                            asymptotic range Fs = 1.25 and q = p, else
                            Fs = 3 and q = min(max(0.5, p), formal)
                            (Oberkampf and Roy 2010, sec. 8.7) */
  double formal;         /* the element's order for the quantity: TET4/TET10
                            displacement 2/3, stress 1/2 (NAN: not known,
                            e.g. a reaction) */
  double safety;         /* the GCI's safety factor Fs used (NAN: none) */
  int asymptotic;        /* 1: |p - formal| <= 0.1 formal; 0: not; -1:
                            unknown (no order, or no formal order) */
  double oscillation;    /* oscillatory only: half the range of the three
                            finest values over |f1| (Stern et al. 2001's
                            uncertainty for oscillatory convergence; NAN
                            otherwise) */
  const char *behaviour; /* monotone, oscillatory, divergent (the differences
                            do not shrink: no order, no extrapolation),
                            oscillatory, divergent, converged (no change),
                            undetermined (why), too few levels; "GCI
                            undefined" where the finest value is 0 */
} FmConvergeQuantity;

typedef struct {
  int nlevels;
  double h[FM_CONVERGE_MAX_LEVELS];
  int nodes[FM_CONVERGE_MAX_LEVELS];
  int nq;
  FmConvergeQuantity q[FM_CONVERGE_MAX_Q];
} FmConvergeResult;

typedef struct {
  const char *outdir;
  const char *parameter; /* mesh-size parameter of the geometry script ("h") */
  int levels;            /* >= 2; 3 or more for the order and the GCI */
  double ratio;          /* h of a level / h of the next, > 1 (default 1.5) */
  const char *backend;
  int quiet; /* no progress lines or table on stdout */
} FmConvergeOptions;

/* Fill order, extrapolated value, GCI and behaviour of every quantity from
 * the values and node counts (the three finest levels). */
void fm_converge_analyse(FmConvergeResult *res);

int fm_converge(MPI_Comm comm, const char *case_path,
                const FmConvergeOptions *opt, FmConvergeResult *res);

#endif
