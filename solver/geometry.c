/* Gmsh API meshing: being written */
