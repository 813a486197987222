/* Fatigue assessment of a solved case, per node and per material (the node
 * copies of recover.h): static safety over all load cases (the material's
 * static criterion: von Mises against yield, or Coulomb-Mohr);
 * for every cycle of the case's fatigue section, the life, the fatigue
 * safety factor at the design life and the Miner damage of the block.
 * Materials not listed under fatigue.materials are not assessed (NaN). */
#ifndef FEMORA_FATIGUE_POST_H
#define FEMORA_FATIGUE_POST_H

#include "recover.h"

typedef struct {
  int assessed;
  const char *static_criterion; /* "von_mises" or "coulomb_mohr" (assessed) */
  double min_static, min_fatigue, min_life, max_damage;
  double at_static[3], at_fatigue[3], at_damage[3];
} FmFatigueGroupStats;

typedef struct {
  double *static_sf;  /* per copy: smallest static safety over the load cases
                         (fm_static_safety) */
  double *fatigue_sf; /* per copy: smallest safety factor over the cycles */
  double *life;       /* per copy: shortest life over the cycles (cycles) */
  double *damage;     /* per copy: Miner sum of count / life over the cycles */
  FmFatigueGroupStats *groups; /* per material of the case */
} FmFatigueResult;

/* res: the results of every load case (rank 0). */
int fm_fatigue_post(const FmModel *md, const FmPost *post, const FmResult *res,
                    FmFatigueResult *out);
void fm_fatigue_result_free(FmFatigueResult *out);

#endif
