/* fm_case_check_mesh on a hand-built FmMesh: good mapping of elements to
 * materials, unknown groups, groups of the wrong dimension, a volume group
 * without material, an element in two material groups, an element in no
 * volume group. */
#define _POSIX_C_SOURCE 200809L
#include "case.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fails = 0;
static char case_path[512];

/* Physical groups */
enum {
  G_IMPLANT,
  G_BONE,
  G_PROXIMAL,
  G_HEAD,
  G_DISTAL,
  G_SYM,
  G_CEMENT,
  G_UNNAMED,
  NGROUPS
};
static FmGroup groups[NGROUPS] = {
    {3, 1, "implant"}, {3, 2, "bone"}, {2, 3, "proximal"}, {2, 4, "head"},
    {0, 5, "distal"},  {1, 6, "sym"},  {3, 7, "cement"},   {3, 8, ""},
};

/* Entities and their groups */
static int eg_implant[] = {G_IMPLANT}, eg_bone[] = {G_BONE},
           eg_cement[] = {G_CEMENT}, eg_both[] = {G_IMPLANT, G_BONE},
           eg_surf[] = {G_PROXIMAL, G_HEAD}, eg_unnamed[] = {G_UNNAMED},
           eg_cement_bone_surf[] = {G_PROXIMAL, G_CEMENT, G_BONE};
enum {
  E_IMPLANT,
  E_BONE,
  E_CEMENT,
  E_BOTH,
  E_NONE,
  E_SURF,
  E_UNNAMED,
  E_CEMENT_BONE,
  NENT
};
static FmEntity entities[NENT] = {
    {3, 1, 1, eg_implant}, {3, 2, 1, eg_bone},
    {3, 3, 1, eg_cement},  {3, 4, 2, eg_both},
    {3, 5, 0, NULL},       {2, 1, 2, eg_surf},
    {3, 6, 1, eg_unnamed}, {3, 7, 3, eg_cement_bone_surf},
};

static int elem_entity[4];
static long elem_tag[4] = {11, 12, 13, 14};

static void make_mesh(FmMesh *m, int e0, int e1, int e2, int e3) {
  memset(m, 0, sizeof *m);
  strcpy(m->file, "femur.msh");
  m->order = 1;
  m->npe = 4;
  m->nelem = 4;
  elem_entity[0] = e0;
  elem_entity[1] = e1;
  elem_entity[2] = e2;
  elem_entity[3] = e3;
  m->elem_entity = elem_entity;
  m->elem_tag = elem_tag;
  m->ngroups = NGROUPS;
  m->groups = groups;
  m->nentities = NENT;
  m->entities = entities;
}

static void expect_error(const FmCase *c, const FmMesh *m, const char *label,
                         const char *p1, const char *p2, const char *p3) {
  int mat[4];
  fm_error_clear();
  if (!fm_case_check_mesh(c, m, mat)) {
    fprintf(stderr, "%s: accepted, expected an error\n", label);
    fails++;
    return;
  }
  const char *msg = fm_error_message();
  if (!strstr(msg, p1) || !strstr(msg, p2) || (p3 && !strstr(msg, p3))) {
    fprintf(stderr, "%s: message '%s'\n  expected '%s', '%s'%s%s%s\n", label,
            msg, p1, p2, p3 ? ", '" : "", p3 ? p3 : "", p3 ? "'" : "");
    fails++;
  }
}

int main(void) {
  char dir[] = "/tmp/femora-t303-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(case_path, sizeof case_path, "%s/case.yaml", dir);
  FILE *f = fopen(case_path, "w");
  if (!f)
    return 1;
  fputs("mesh: {file: femur.msh}\n"
        "materials:\n"
        "  implant: {E: 110000, nu: 0.34}\n"
        "  bone: {E: 17000, nu: 0.3}\n"
        "constraints:\n"
        "  - {group: distal, fix: all}\n"
        "  - {group: sym, displacement: {y: 0}}\n"
        "  - {group: head, fix: [x]}\n"
        "load_cases:\n"
        "  - name: walking\n"
        "    loads:\n"
        "      - {group: proximal, total_force: [300, 0, -2000]}\n"
        "      - {group: head, pressure: 1.5}\n"
        "      - {body_force: [0, 0, -1e-5]}\n",
        f);
  fclose(f);

  FmCase c;
  if (fm_case_read(case_path, &c)) {
    fprintf(stderr, "case rejected: %s\n", fm_error_message());
    return 1;
  }
  FmMesh m;
  int mat[4];

  /* good: implant, bone, implant, bone */
  make_mesh(&m, E_IMPLANT, E_BONE, E_IMPLANT, E_BONE);
  memset(mat, -1, sizeof mat);
  if (fm_case_check_mesh(&c, &m, mat)) {
    fprintf(stderr, "good mesh rejected: %s\n", fm_error_message());
    fails++;
  } else if (mat[0] != 0 || mat[1] != 1 || mat[2] != 0 || mat[3] != 1) {
    fprintf(stderr, "wrong materials %d %d %d %d\n", mat[0], mat[1], mat[2],
            mat[3]);
    fails++;
  }
  /* NULL elem_material is allowed (check only) */
  if (fm_case_check_mesh(&c, &m, NULL)) {
    fprintf(stderr, "check with NULL elem_material failed: %s\n",
            fm_error_message());
    fails++;
  }
  /* an entity in a surface group and in one material group is fine, a
   * volume group with elements but in two groups where only one has a
   * material is fine too */
  make_mesh(&m, E_IMPLANT, E_CEMENT_BONE, E_IMPLANT, E_BONE);
  memset(mat, -1, sizeof mat);
  if (fm_case_check_mesh(&c, &m, mat) || mat[1] != 1) {
    fprintf(stderr, "cement+bone entity: %s (mat %d)\n", fm_error_message(),
            mat[1]);
    fails++;
  }

  /* elements whose volume group has no material */
  make_mesh(&m, E_IMPLANT, E_BONE, E_CEMENT, E_BONE);
  expect_error(&c, &m, "no material",
               "femur.msh: volume group 'cement' has no "
               "material in ",
               case_path, "element 13");
  make_mesh(&m, E_IMPLANT, E_BONE, E_BONE, E_UNNAMED);
  expect_error(&c, &m, "unnamed group",
               "femur.msh: volume group with physical "
               "tag 8 (unnamed) has no material",
               case_path, "element 14");
  make_mesh(&m, E_IMPLANT, E_NONE, E_BONE, E_BONE);
  expect_error(&c, &m, "no volume group",
               "femur.msh: element 12 is in no volume physical group",
               case_path, NULL);
  /* element in two material groups */
  make_mesh(&m, E_IMPLANT, E_BONE, E_BOTH, E_BONE);
  expect_error(&c, &m, "two materials",
               "femur.msh: element 13 is in volume "
               "groups 'implant' and 'bone'",
               "exactly one", case_path);

  make_mesh(&m, E_IMPLANT, E_BONE, E_IMPLANT, E_BONE);
  /* material for a group that does not exist */
  strcpy(c.materials[1].group, "femur");
  expect_error(&c, &m, "unknown material group", case_path,
               ": materials.femur: no volume physical group named 'femur' in "
               "femur.msh",
               "(volume groups: implant, bone, cement)");
  /* material for a surface group */
  strcpy(c.materials[1].group, "head");
  expect_error(&c, &m, "material on a surface", case_path,
               ": materials.head: physical group 'head' in femur.msh has "
               "dimension 2",
               "volume (dimension 3)");
  strcpy(c.materials[1].group, "bone");

  /* constraint on a volume group, on an unknown group */
  strcpy(c.constraints[1].group, "implant");
  expect_error(&c, &m, "constraint on a volume", case_path,
               ": constraints[1].group: 'implant' is a volume (dimension 3) "
               "physical group in femur.msh",
               "dimension 0, 1 or 2");
  strcpy(c.constraints[1].group, "symm");
  expect_error(&c, &m, "constraint on unknown group", case_path,
               ": constraints[1].group: no physical group named 'symm'",
               "(groups: proximal, head, distal, sym)");
  strcpy(c.constraints[1].group, "sym");

  /* surface loads on a line group, on an unknown group */
  strcpy(c.load_cases[0].loads[1].group, "sym");
  expect_error(&c, &m, "pressure on a line group", case_path,
               ": load_cases[0].loads[1].group: 'sym' is a physical group of "
               "dimension 1 in femur.msh",
               "pressure needs a surface (dimension 2) group");
  strcpy(c.load_cases[0].loads[1].group, "hed");
  expect_error(&c, &m, "pressure on unknown group", case_path,
               ": load_cases[0].loads[1].group: no surface (dimension 2) "
               "physical group named 'hed'",
               "(surface groups: proximal, head)");
  strcpy(c.load_cases[0].loads[1].group, "head");

  /* still good after restoring */
  if (fm_case_check_mesh(&c, &m, mat)) {
    fprintf(stderr, "restored case rejected: %s\n", fm_error_message());
    fails++;
  }

  fm_case_free(&c);
  remove(case_path);
  rmdir(dir);
  if (fails) {
    fprintf(stderr, "t303-case-mesh: %d failure(s)\n", fails);
    return 1;
  }
  return 0;
}
