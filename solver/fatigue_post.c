#include "fatigue_post.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "element.h"
#include "error.h"

int fm_fatigue_post(const FmModel *md, const FmPost *post, const FmResult *res,
                    FmFatigueResult *out) {
  const FmFatigueSpec *F = &md->cs.fatigue;
  const int nmat = md->cs.nmaterials, nc = post->ncopy;
  memset(out, 0, sizeof *out);
  FM_ALLOC(out->static_sf, nc);
  FM_ALLOC(out->fatigue_sf, nc);
  FM_ALLOC(out->life, nc);
  FM_ALLOC(out->damage, nc);
  FM_ALLOC(out->groups, nmat);
  /* fatigue group of each material (-1: not assessed) */
  int *fg = fm_calloc(nmat, sizeof(int));
  if (!fg)
    return 1;
  for (int m = 0; m < nmat; m++) {
    fg[m] = -1;
    for (int g = 0; g < F->ngroups; g++)
      if (!strcmp(F->groups[g].group, md->cs.materials[m].group))
        fg[m] = g;
    FmFatigueGroupStats *gs = &out->groups[m];
    gs->assessed = fg[m] >= 0;
    if (gs->assessed)
      gs->static_criterion = F->groups[fg[m]].m.stat == FM_STATIC_COULOMB_MOHR
                                 ? "coulomb_mohr"
                                 : "von_mises";
    gs->min_static = gs->min_fatigue = gs->min_life = INFINITY;
    gs->max_damage = 0.0;
    /* no node found (every one infinitely safe, no damage): no place */
    for (int k = 0; k < 3; k++)
      gs->at_static[k] = gs->at_fatigue[k] = gs->at_damage[k] = NAN;
  }
  const double zero[6] = {0, 0, 0, 0, 0, 0};
  for (int cp = 0; cp < nc; cp++) {
    const int mat = post->copy_mat[cp], g = fg[mat];
    if (g < 0) {
      out->static_sf[cp] = out->fatigue_sf[cp] = out->life[cp] =
          out->damage[cp] = NAN;
      continue;
    }
    const FmFatigueMaterial *fm = &F->groups[g].m;
    /* a stress that is not a number has no safety: the run fails (the
     * comparisons below would take it for none, and so for safe) */
    for (int lc = 0; lc < md->cs.nload_cases; lc++) {
      const double *s = res[lc].stress + 6 * (size_t)cp;
      int finite = isfinite(res[lc].vm[cp]);
      for (int k = 0; k < 6; k++)
        finite = finite && isfinite(s[k]);
      if (!finite) {
        const double *x = md->mesh.x + 3 * (size_t)post->copy_node[cp];
        free(fg);
        return fm_error("%s: fatigue: load case '%s': the stress in material "
                        "'%s' at (%g, %g, %g) is not a finite number, so no "
                        "safety factor can be given",
                        md->cs.path, md->cs.load_cases[lc].name,
                        md->cs.materials[mat].group, x[0], x[1], x[2]);
      }
    }
    double ns = INFINITY; /* over every load case, those in no cycle too */
    for (int lc = 0; lc < md->cs.nload_cases; lc++)
      ns = fmin(ns, fm_static_safety(fm, res[lc].stress + 6 * (size_t)cp));
    out->static_sf[cp] = ns;
    double sf = INFINITY, life = INFINITY, dmg = 0.0;
    for (int k = 0; k < F->ncycles; k++) {
      const FmCycleSpec *cs = &F->cycles[k];
      double states[6 * FM_CYCLE_MAX_STATES];
      for (int j = 0; j < cs->nstates; j++)
        memcpy(states + 6 * j,
               cs->state[j] < 0 ? zero
                                : res[cs->state[j]].stress + 6 * (size_t)cp,
               6 * sizeof(double));
      FmFatigueCycle cy;
      if (fm_fatigue_cycle_states(states, cs->nstates, &cy)) {
        free(fg);
        return 1;
      }
      double Sar, f;
      if (F->multiaxial) {
        Sar = fm_fatigue_sar_multiaxial(fm, F->multi, &cy);
        f = fm_fatigue_safety_multiaxial(fm, F->multi, &cy, F->design_life);
      } else {
        double Sa, Sm;
        fm_fatigue_equivalent(&cy, F->eq, &Sa, &Sm);
        Sar = fm_fatigue_sar(fm, F->corr, Sa, Sm);
        f = fm_fatigue_safety(fm, F->corr, Sa, Sm, F->design_life);
      }
      const double N = fm_fatigue_life(fm, Sar);
      sf = fmin(sf, f);
      life = fmin(life, N);
      dmg += fm_miner_block(cs->count, N);
    }
    out->fatigue_sf[cp] = sf;
    out->life[cp] = life;
    out->damage[cp] = dmg;
    FmFatigueGroupStats *gs = &out->groups[mat];
    const double *x = md->mesh.x + 3 * (size_t)post->copy_node[cp];
    if (out->static_sf[cp] < gs->min_static) {
      gs->min_static = out->static_sf[cp];
      memcpy(gs->at_static, x, sizeof gs->at_static);
    }
    if (sf < gs->min_fatigue) {
      gs->min_fatigue = sf;
      memcpy(gs->at_fatigue, x, sizeof gs->at_fatigue);
    }
    if (life < gs->min_life)
      gs->min_life = life;
    if (dmg > gs->max_damage) {
      gs->max_damage = dmg;
      memcpy(gs->at_damage, x, sizeof gs->at_damage);
    }
  }
  free(fg);
  return 0;
}

void fm_fatigue_result_free(FmFatigueResult *out) {
  free(out->static_sf);
  free(out->fatigue_sf);
  free(out->life);
  free(out->damage);
  free(out->groups);
  memset(out, 0, sizeof *out);
}
