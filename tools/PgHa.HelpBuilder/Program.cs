// Placeholder: writes an empty MAML document. Replaced by the real markdown converter.
if (args.Length != 2) { Console.Error.WriteLine("usage: PgHa.HelpBuilder <docs-dir> <output-maml>"); return 2; }
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
File.WriteAllText(args[1], "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<helpItems schema=\"maml\" xmlns=\"http://msh\"></helpItems>\n");
return 0;
