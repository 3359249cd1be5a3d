"""Git LFS for every hosted repository (datasets and code modules alike).

The parts: ``pointers`` (pointer files and ``.gitattributes`` patterns), ``objects`` (the blob
store and the rows saying which repository references which object), ``protocol`` (JSON
answers, authentication shared with git over HTTP, action links), ``batch`` (the batch API),
``transfer`` (basic transfer: upload, download, verify), ``locks`` (the locks API) and
``urls``. Objects stream to disk while they are hashed; nothing holds a whole object in memory.
"""
