"""Clear-cut passages we wrote ourselves: each should trigger exactly what its name says."""

PROFANITY = """"You fucking idiot," Marcus yelled, slamming the door so hard the frame shook. "You absolute piece of shit. I told you, I fucking told you not to touch the money."

"Oh, fuck off," Ray shot back. "Don't you dare put this on me, you lying bastard. You spent half of it on your shitty car."

"My shitty car? My shitty car? Are you fucking kidding me right now?"

"No, I'm not fucking kidding you, dickhead. You're a selfish prick and everyone knows it. Goddamn it, Marcus, we were supposed to pay rent with that."

"Then why the hell did you give me the card? Jesus fucking Christ, you're unbelievable. This is bullshit. This whole thing is complete and utter bullshit."

"Get the fuck out of my flat."

"It's my fucking flat too, asshole!"

They stood there breathing hard, two grown men screaming swear words at each other across a kitchen table covered in unpaid bills, and neither of them was willing to be the first to back the fuck down."""

BATTLE = """The shield wall broke at noon. Axes rose and fell, and the screaming started. Tomas drove his spear into the first raider's belly and felt it grind against bone; blood gushed over his hands, hot and slick, and the man fell shrieking into the mud with his guts spilling out. Another came over him swinging a sword, and the blade split Tomas's helmet and opened his scalp to the skull. Blood poured into his eyes. He stabbed blindly, again and again, until the raider stopped moving.

All around him men were dying. A boy he knew from the village was on his knees, both hands pressed to a gash in his throat, blood spurting between his fingers. An axe took off a soldier's arm at the elbow and the stump sprayed the men beside him. Horses screamed. Someone's severed head rolled against Tomas's boot, its mouth still open.

He hacked and stabbed until his arms were numb and his spear was broken and the ground beneath him was a swamp of blood and mangled bodies. When the enemy finally fled, the field was littered with corpses, and the crows were already coming down."""

FUNERAL = """They buried Captain Elena Voss on a grey morning, three days after she died. The coffin was carried up the hill to the cemetery by six of her crew, and the whole town followed it in silence.

At the graveside the priest read the eulogy. He spoke of her courage, of the storm she had sailed into to save the fishing fleet, of how she had died doing what she loved. Her husband stood at the edge of the grave, grey-faced, holding their daughter's hand. The girl did not cry. She stared at the coffin as if she expected her mother to climb out of it.

They lowered the casket into the earth. One by one the mourners stepped forward and threw a handful of soil onto the lid. Old sailors wept openly. Somebody laid a wreath of white lilies against the headstone, where her name had been freshly carved beneath the words Lost at Sea, Never Forgotten.

Afterwards, at the wake, nobody knew what to say. The house was full of flowers and casseroles and condolences, and the empty chair by the window where she used to sit. Her daughter went to bed early and lay awake, grieving in the dark, understanding at last that her mother was dead and was never coming home."""

CUTTING = """Jamie locked the bathroom door and sat down on the edge of the bath. The razor blade was where it always was, wrapped in tissue inside the empty plaster tin at the back of the cabinet.

The scars on the inside of Jamie's left wrist were pale and thin, dozens of them, some old and silvery, some still pink. Jamie rolled up the sleeve and pressed the blade against the skin and cut, once, twice, three times, watching the blood well up in neat red lines. The sting was sharp and clean and for a moment everything else went quiet.

It had started in the spring, after the exams. Cutting was the only thing that helped. Jamie knew it was self-harm, knew the words the school counsellor would use, knew that the thoughts underneath it were worse: the nights spent thinking about suicide, about how many pills were in the kitchen drawer, about how it would be easier for everyone if Jamie just wasn't here.

Jamie cleaned the cuts, pressed toilet paper against them until the bleeding stopped, and pulled the sleeve back down. Hidden again. Nobody ever looked at wrists."""

PARTY = """By midnight the whole house was wasted. Somebody had brought three bottles of vodka and a bag of pills, and the kitchen table was covered in empty beer cans, spilled tequila and lines of coke that Danny kept cutting with his bank card.

Mia was high on something, she wasn't sure what, a pill someone had pressed into her hand by the stairs. The room was spinning. She took another shot anyway, then a drag on the joint that was going around, and coughed until her eyes watered. Everyone was smoking weed on the balcony, and the air inside was thick with it.

"Do another line," Danny said, grinning, his pupils huge. "Come on. It's good stuff. My dealer swears by it."

She snorted it off the table and the world went bright and sharp and fast. Her heart was hammering. Somebody was puking in the bathroom. Two boys were passed out drunk on the sofa. A girl from her class was crying in the hall because she had taken too many pills and couldn't stop shaking, and nobody could remember who had given them to her.

Mia drank more vodka straight from the bottle. Tomorrow she would be hungover and sick and ashamed, but tonight she was high and drunk and nothing mattered at all."""

SEX = """He pushed her back onto the bed and she pulled his shirt over his head, laughing, breathless. They were both naked in seconds. She wrapped her hand around his cock and he groaned, hard and aching, as she stroked him slowly.

He kissed his way down her body, sucking one nipple and then the other, until she was arching off the sheets. When he slid two fingers into her wet pussy she moaned his name and gripped the headboard. He licked her clit until she came, shaking, her thighs clamped around his head.

"Condom," she gasped, and he fumbled one from the drawer and rolled it on. Then he was inside her, thrusting deep and slow, her legs wrapped around his hips, her nails in his back. She moaned with every thrust. They fucked until the bed was creaking and she was begging him not to stop.

Her second orgasm hit her hard. He followed a moment later, his erection throbbing inside her as he came with a shout, and they collapsed together in a sweaty tangle of sheets, both of them laughing and breathless and completely spent."""

BAKERY = """The bakery opened at six, and by then the shelves were already full. Rosa had been up since four, shaping loaves and rolling croissants while the radio played quietly in the corner and the ovens ticked as they warmed.

The first customer was old Mr Pell, who bought a small brown loaf every morning and always asked about her mother. Then came the twins from the flower shop, who wanted cinnamon buns and argued cheerfully about tulips. A little girl pressed her nose against the glass case and pointed at a cake covered in sugar roses, and her father laughed and bought her one.

By eight the sun was pouring in through the windows and the whole street smelled of warm bread. Rosa wiped flour from her hands and poured herself a cup of tea. Outside, people hurried past on their way to work, and every so often one of them stopped, caught by the smell, and came in smiling.

She wrapped the last seeded rolls in paper for the school kitchen, swept the crumbs from the counter, and turned the sign on the door. It had been a good morning. Tomorrow she would try the new recipe for apple cake."""

NONCON = """He held her down on the bed while she begged him to stop. "No," she said, "please stop, I don't want this." He did not listen. He pinned her wrists above her head and forced himself on her against her will, and she cried the whole time, because it was rape and there was nothing she could do to make him stop.

Afterwards she lay curled on the floor, shaking. She had said no. She had said no so many times. He had raped her anyway, and then he told her it was her fault, that she had wanted it, that nobody would believe her if she told.

For weeks she could not sleep. Every time she closed her eyes she felt his weight holding her down, heard herself begging him to let her go, and felt the same helpless terror as the night he assaulted her.
"""

CHILD_ABUSE = """Lily was only thirteen, a child in the eighth grade, when her stepfather started coming into her bedroom at night. He told her it was their secret. He touched her where no adult should ever touch a child, and he made her undress, and he molested her while her mother slept down the hall.

The girl learned to lie very still. She was twelve the first time and thirteen when she finally told a teacher at school, and even then the man said the minor was lying, that the little girl had made it all up for attention.

The social worker said it was child sexual abuse, and that none of it had been her fault. Lily was a child. He was the adult who had abused her.
"""
