/* Femora case file: YAML -> validated FmCase.  The contract is documented in
 * docs/case-file.md.  Every error names the case file, the item (a dotted
 * path such as "materials.implant.E" or "load_cases[0].loads[1].pressure")
 * and what is wrong, for example
 *   "cases/x.yaml: materials.implant.nu: must be in (-1, 0.5) (got 0.5)". */
#ifndef FEMORA_CASE_H
#define FEMORA_CASE_H

#include <stddef.h>

#include "fatigue.h"
#include "mesh.h"

#define FM_PATH_MAX 4096

typedef struct {
  char group[FM_NAME_MAX]; /* volume physical-group name */
  double E, nu;
} FmMaterial;

typedef struct {
  char group[FM_NAME_MAX]; /* physical group of dimension 0, 1 or 2 */
  int mask;                /* bit i set: component i (x=0,y=1,z=2) prescribed */
  double value[3];         /* prescribed displacement per component */
} FmConstraint;

typedef enum {
  FM_LOAD_TOTAL_FORCE, /* total force spread as uniform traction over group */
  FM_LOAD_PRESSURE,    /* pressure along the inward normal of the group */
  FM_LOAD_TRACTION,    /* traction vector (force per area) */
  FM_LOAD_BODY_FORCE   /* force per volume on every element, or on those of
                          one material (group) */
} FmLoadKind;

typedef struct {
  FmLoadKind kind;
  char group[FM_NAME_MAX]; /* body force: a material, "" = every element */
  double v[3];             /* force / traction / body force; pressure in v[0] */
} FmLoad;

typedef struct {
  char name[FM_NAME_MAX];
  int nloads;
  FmLoad *loads;
} FmLoadCase;

typedef struct {
  char name[FM_NAME_MAX];
  double x[3];
} FmProbe;

/* Fatigue assessment (section `fatigue:`, docs/fatigue.md). */
#define FM_CYCLE_MAX_STATES 8
typedef struct {
  char group[FM_NAME_MAX];   /* material (volume group) assessed */
  char library[FM_NAME_MAX]; /* library entry used ("" when inline) */
  char surface[FM_NAME_MAX]; /* k_surf variant of the entry */
  FmFatigueMaterial m;       /* m.name points at group */
} FmFatigueGroup;

typedef struct {
  char name[FM_NAME_MAX];
  int nstates;
  int state[FM_CYCLE_MAX_STATES]; /* load case index; -1: the unloaded state */
  double count;                   /* cycles in the block */
} FmCycleSpec;

typedef struct {
  int enabled;
  double design_life;    /* cycles (default 1e7) */
  int multiaxial;        /* 1: Sines/Crossland, 0: uniaxial correction */
  FmMeanCorrection corr; /* criterion when !multiaxial */
  FmMultiaxial multi;    /* criterion when multiaxial */
  FmEquivalent eq;       /* scalar equivalent for the uniaxial criteria */
  char criterion[32];    /* as written */
  char library_file[FM_PATH_MAX];
  int ngroups;
  FmFatigueGroup *groups;
  int ncycles;
  FmCycleSpec *cycles;
} FmFatigueSpec;

/* Expected results (section `expected:`, docs/validation.md). */
typedef enum {
  FM_Q_PROBE = 0,         /* a probe value: field displacement.x|y|z,
                             stress.xx|yy|zz|xy|yz|xz or von_mises */
  FM_Q_MAX_VON_MISES,     /* of a material group */
  FM_Q_MAX_PRINCIPAL,     /* of a material group */
  FM_Q_MIN_PRINCIPAL,     /* of a material group */
  FM_Q_REACTION,          /* of a constraint group: component x|y|z */
  FM_Q_MAX_DISPLACEMENT,  /* of the model */
  FM_Q_MIN_STATIC_SAFETY, /* of a material group (fatigue section) */
  FM_Q_MIN_FATIGUE_SAFETY /* of a material group (fatigue section) */
} FmQuantity;

typedef struct {
  FmQuantity q;
  int load_case;    /* index (default 0) */
  int target;       /* probe, material or constraint index */
  int component;    /* probe field index or reaction component */
  double value;     /* reference value */
  double tolerance; /* relative, or absolute when absolute = 1 */
  int absolute;
  char kind[32];    /* closed_form, published_benchmark, other_code,
                       previous_release */
  char source[256]; /* citation of the reference value */
  char label[512];  /* what is checked, for reports */
} FmExpected;

typedef struct {
  char path[FM_PATH_MAX]; /* case file as given */
  char dir[FM_PATH_MAX];  /* directory of the case file ("." if none) */
  char title[256];

  /* mesh: either file or geo (+ parameters); paths resolved against dir */
  char mesh_file[FM_PATH_MAX]; /* "" when geo is used */
  char geo_file[FM_PATH_MAX];  /* "" when file is used */
  int nparams;
  char (*param_name)[FM_NAME_MAX];
  double *param_value;
  int order; /* 1 or 2 (default 2) */

  int nmaterials;
  FmMaterial *materials;
  int nconstraints;
  FmConstraint *constraints;
  int nload_cases;
  FmLoadCase *load_cases;
  int nprobes;
  FmProbe *probes;

  int vtu; /* output.vtu, default 1 */

  /* solver: {backend: cpu, preconditioner: pmg|amg, rtol: 1e-8,
   * max_it: 10000} */
  char backend[32]; /* "cpu" default; "ref", "cuda", "auto" */
  /* "pmg" (TET10) or "amg" (TET4) by default, set by fm_model_build once
   * the element order is known ("" until then); "jacobi" (point-block) */
  char pc[16];
  double rtol;
  int max_it;

  FmFatigueSpec fatigue; /* fatigue.enabled = 0 without the section */

  int nexpected;
  FmExpected *expected; /* reference results checked after the run */
} FmCase;

/* Parse and validate a case file (syntax, types, ranges, finite numbers,
 * required items, duplicate names).  Group names are checked against a mesh
 * later by fm_case_check_mesh. */
int fm_case_read(const char *path, FmCase *c);

/* Check the case against a mesh: every group named in materials, constraints
 * and loads exists with a suitable dimension (materials: 3; constraints:
 * 0..2; surface loads: 2), every volume group with elements has a material,
 * and every element gets exactly one material.  Fills elem_material[nelem]
 * with the material index of each element. */
int fm_case_check_mesh(const FmCase *c, const FmMesh *m, int *elem_material);

void fm_case_free(FmCase *c);

/* The file name stem of a load case's results (NAME.vtu): its characters
 * other than letters, digits, '.', '-' and '_' made '_'. */
void fm_case_file_stem(const char *name, char *out, size_t cap);

/* Whether the YAML file at path is a validation case for `femora suite`: 1
 * where its first document is a mapping with an `expected` key (in any
 * style: block, flow, quoted), 0 where it is YAML without one or cannot be
 * opened; a file libyaml cannot parse is 1 where it mentions `expected`
 * anywhere (it then fails in the suite with its syntax error instead of
 * being skipped), else 0. */
int fm_case_has_expected(const char *path);
/* The same for any top-level key (femora submit: `ages` makes a
 * scenario). */
int fm_yaml_has_top_key(const char *path, const char *key);

/* ---- growth scenario (docs/scenario.md) ---- */
typedef struct {
  char group[FM_NAME_MAX];
  double percent_bw[3]; /* force in percent of body weight */
} FmActivityLoad;

typedef struct {
  char name[FM_NAME_MAX];
  double share; /* fraction of the daily steps spent in this activity */
  int nloads;
  FmActivityLoad *loads;
} FmActivity;

typedef struct {
  char path[FM_PATH_MAX];      /* scenario file */
  char case_path[FM_PATH_MAX]; /* base case, resolved */
  char title[256];
  char mass_source[64]; /* "cdc_boys_p50", "cdc_girls_p50", "list" */
  char extension_parameter[FM_NAME_MAX]; /* geometry parameter (extension) */
  int nages;
  double *age, *mass, *extension, *steps_per_day; /* per age */
  int nactivities;
  FmActivity *activities;
  /* further geometry-script parameters per age (e.g. bone_scale) */
  int ngeo;
  char (*geo_name)[FM_NAME_MAX];
  double *geo_value; /* ngeo * nages, row per parameter */
} FmScenario;

/* Read and validate a growth scenario (errors: "<file>:<line>: <item>: ...").
 */
int fm_scenario_read(const char *path, FmScenario *s);
void fm_scenario_free(FmScenario *s);

/* Body mass (kg) of boys (girls = 0) or girls (1) at the 50th percentile,
 * CDC 2000 growth charts, ages 8 to 18 (whole years); returns 0 and sets
 * *kg, or non-zero outside. */
int fm_cdc_mass_p50(int girls, double age, double *kg);

/* Bundled fatigue material library (materials/fatigue.yaml of the source
 * tree, or $FEMORA_MATERIALS when set). */
const char *fm_default_fatigue_library(void);

#endif
