/* MSH 4.1 reader: being written */
