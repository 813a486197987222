/* case reader: being written */
